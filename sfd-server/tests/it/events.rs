//! The live event stream: every stage arrives while the job is held at it,
//! and a quiet stream sends keep-alive comments.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use sfd_client::{GenerationRequest, Job, JobStatus};
use sfd_core::{ChatRequest, ChatResponse, Llm, SimulatedLlm};
use tokio::sync::Semaphore;

use crate::harness::{Options, TestServer};

/// Answers like the simulator, but each call waits for a permit from the test.
#[derive(Debug)]
struct Gated {
    permits: Semaphore,
}

#[async_trait]
impl Llm for Gated {
    async fn chat(&self, req: ChatRequest) -> sfd_core::Result<ChatResponse> {
        if let Ok(p) = self.permits.acquire().await {
            p.forget();
        }
        SimulatedLlm::instant().chat(req).await
    }
    fn model(&self) -> &str {
        "gated"
    }
}

fn gated() -> Arc<Gated> {
    Arc::new(Gated {
        permits: Semaphore::new(0),
    })
}

fn describe(job: &Job) -> String {
    match (&job.progress, job.status) {
        (_, s) if s.is_terminal() => format!("{s:?}"),
        (Some(p), _) => format!("{}:{}/{}", p.stage, p.done, p.total),
        (None, s) => format!("{s:?}"),
    }
}

/// Reads events until one is described as `want`; returns what was read.
async fn until(events: &mut BoxStream<'static, sfd_client::Result<Job>>, want: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let job = events.next().await.expect("the stream ended early").unwrap();
        seen.push(describe(&job));
        if seen.last().map(String::as_str) == Some(want) {
            return seen;
        }
    }
}

#[tokio::test]
async fn every_stage_arrives_while_the_job_is_held_at_it() {
    let llm = gated();
    let s = TestServer::with(Options {
        llm: Some(llm.clone()),
        ..Default::default()
    })
    .await;
    let req = GenerationRequest::new("a heist")
        .with_id("held")
        .with_episodes(2)
        .with_scenes_per_episode(1);
    let started = s.client.generate_drama(&req).await.unwrap();
    let mut events = s.client.job_events("held", &started.job_id).await.unwrap();
    // Held at the outline: nothing past it can have been sent.
    let first = describe(&events.next().await.unwrap().unwrap());
    assert!(
        ["Pending", "Processing", "outline:0/1"].contains(&first.as_str()),
        "{first}"
    );
    llm.permits.add_permits(1);
    until(&mut events, "outline:1/1").await;
    until(&mut events, "episodes:0/2").await;
    // Both episode calls wait; each one released shows up on its own.
    llm.permits.add_permits(1);
    assert_eq!(until(&mut events, "episodes:1/2").await, ["episodes:1/2"]);
    llm.permits.add_permits(1);
    assert_eq!(until(&mut events, "episodes:2/2").await, ["episodes:2/2"]);
    let rest: Vec<String> = events.map(|j| describe(&j.unwrap())).collect().await;
    assert_eq!(rest.last().map(String::as_str), Some("Completed"), "{rest:?}");
    let done = s.client.get_job("held", &started.job_id).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed);
}

#[tokio::test]
async fn a_quiet_stream_sends_keep_alive_comments() {
    let llm = gated();
    let s = TestServer::with(Options {
        llm: Some(llm.clone()),
        keep_alive: Some(Duration::from_millis(20)),
        ..Default::default()
    })
    .await;
    let started = s
        .client
        .generate_drama(&GenerationRequest::new("quiet").with_id("quiet"))
        .await
        .unwrap();
    let resp = reqwest::get(s.url(&format!("/dramas/quiet/jobs/{}/events", started.job_id)))
        .await
        .unwrap();
    let mut body = resp.bytes_stream();
    let mut text = String::new();
    while !text.contains(": keep-alive\n\n") {
        let chunk = body.next().await.expect("the stream ended").unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    // The job held at its first call has sent nothing past its start.
    assert!(!text.contains("\"completed\""), "{text}");
    llm.permits.add_permits(1000);
}
