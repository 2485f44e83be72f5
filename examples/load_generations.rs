//! Load run: N generations at once through the real `sfd-server` binary
//! and the real client, against a mock OpenAI-compatible server that
//! answers every chat call after a fixed latency (the issue-23 target: 50
//! generations within sfd's own two LLM rounds, outline then episodes,
//! plus 10 %, with the server's defaults).
//!
//! ```text
//! cargo build --release -p sfd-server
//! cargo run --release -p sfd-examples --example load_generations -- \
//!     [--bin target/release/sfd-server] [--jobs 50] [--latency-ms 2000] [--storage s3://…] [-- extra server env K=V …]
//! ```
//!
//! Without `--storage` the server uses a fresh local folder. The mock
//! follows the chat-completions shape
//! (<https://platform.openai.com/docs/api-reference/chat/create>) and
//! answers with what the simulator writes for the request's schema.

#![allow(clippy::expect_used)] // a load run aborts on any failure

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sfd_client::{Client, GenerationRequest, JobStatus};
use sfd_core::{Llm, SimulatedLlm, chat_completion_with, chat_request_of};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// What the simulator answers to a chat-completions body.
fn answer(body: &Value) -> Value {
    let sim = futures::executor::block_on(SimulatedLlm::instant().chat(chat_request_of(body)))
        .expect("the simulator answers");
    chat_completion_with(&sim.content)
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() {
    let bin = arg("--bin").unwrap_or_else(|| "target/release/sfd-server".into());
    let jobs: usize = arg("--jobs").and_then(|v| v.parse().ok()).unwrap_or(50);
    let latency = Duration::from_millis(arg("--latency-ms").and_then(|v| v.parse().ok()).unwrap_or(2000));
    let extra: Vec<(String, String)> = std::env::args()
        .skip_while(|a| a != "--")
        .skip(1)
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect();

    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(move |r: &Request| {
            let body: Value = r.body_json().unwrap_or_default();
            ResponseTemplate::new(200)
                .set_body_json(answer(&body))
                .set_delay(latency)
        })
        .mount(&llm)
        .await;

    let dir = tempfile::tempdir().expect("a temporary folder");
    let storage = arg("--storage").unwrap_or_else(|| format!("file://{}", dir.path().display()));
    let mut child = Command::new(&bin)
        .args(["--port", "0", "--log-format", "json", "--storage", &storage])
        .env("OPENAI_API_KEY", "sk-load")
        .env("OPENAI_API_BASE", format!("{}/v1", llm.uri()))
        .env("RUST_LOG", "warn,sfd_server=info")
        .envs(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts (build it with cargo build --release -p sfd-server)");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("listening")
                && let Ok(v) = serde_json::from_str::<Value>(&line)
            {
                let _ = tx.send(v["fields"]["addr"].as_str().unwrap_or_default().to_string());
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(60)).expect("the server listens");
    let client = Client::new(format!("http://{addr}"));

    let started = Instant::now();
    let runs = (0..jobs).map(|k| {
        let client = client.clone();
        async move {
            let req = GenerationRequest::new(format!("a heist on a rainy rooftop, take {k}"));
            let job = client.generate_drama(&req).await.expect("the job is queued");
            let queued = started.elapsed();
            let done = client
                .wait_for_job(&job.drama_id, &job.job_id, Duration::from_secs(600))
                .await
                .expect("the job ends");
            assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
            (started.elapsed(), queued)
        }
    });
    let results = futures::future::join_all(runs).await;
    let queued = results.iter().map(|(_, q)| *q).max().unwrap_or_default();
    let mut ends: Vec<Duration> = results.into_iter().map(|(e, _)| e).collect();
    ends.sort();
    let calls = llm.received_requests().await.map_or(0, |r| r.len());
    let ideal = latency * 2;
    let (first, last) = (ends[0], ends[ends.len() - 1]);
    println!(
        "{jobs} generations, LLM latency {} ms, storage {}: all queued {:.3} s, first done {:.3} s, \
         all done {:.3} s; ideal (two LLM rounds) {:.3} s, ratio {:.3}; {calls} LLM calls",
        latency.as_millis(),
        storage.split('?').next().unwrap_or_default(),
        queued.as_secs_f64(),
        first.as_secs_f64(),
        last.as_secs_f64(),
        ideal.as_secs_f64(),
        last.as_secs_f64() / ideal.as_secs_f64(),
    );
    println!("{}", storage_ops(&addr, jobs).await);
    let _ = child.kill();
    let _ = child.wait();
}

/// The server's storage operations per generation, by operation, from its
/// `GET /metrics` (Prometheus text): how many round trips each job cost.
async fn storage_ops(addr: &str, jobs: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut text = String::new();
    if let Ok(mut conn) = tokio::net::TcpStream::connect(addr).await {
        let ask = format!("GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n");
        if conn.write_all(ask.as_bytes()).await.is_ok() {
            let _ = conn.read_to_string(&mut text).await;
        }
    }
    let mut by_op: std::collections::BTreeMap<String, f64> = Default::default();
    for line in text.lines().filter(|l| l.starts_with("sfd_storage_operations_total{")) {
        let op = line
            .split("op=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("?");
        let count: f64 = line.rsplit(' ').next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        *by_op.entry(op.to_string()).or_default() += count;
    }
    let total: f64 = by_op.values().sum();
    let per = |n: f64| n / jobs.max(1) as f64;
    let parts: Vec<String> = by_op.iter().map(|(op, n)| format!("{op} {:.1}", per(*n))).collect();
    format!(
        "storage operations per generation: {:.1} ({})",
        per(total),
        parts.join(", ")
    )
}
