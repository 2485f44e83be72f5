//! Paid once, with real processes: a render whose video provider (a
//! scripted Seedance / Ark server, following
//! <https://docs.byteplus.com/en/docs/ModelArk/1520757>) is still
//! `running` when the sfd server is SIGKILLed; started again, the job
//! resumes polling the saved tasks and completes, and the provider saw
//! exactly one create per clip.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use sfd_core::{Asset, AssetKind, Character, Drama, Episode, JobStatus, RenderRequest, Scene};
use tokio::sync::watch;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::replica::Replica;

const MP4: &[u8] = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41 scripted clip";
const TASKS: &str = "/api/v3/contents/generations/tasks";

/// The create call: a new task id each time, counted per prompt.
struct Create {
    creates: Mutex<Vec<String>>,
    next: AtomicUsize,
}

impl Respond for Create {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let prompt = body["content"][0]["text"].as_str().unwrap_or_default().to_string();
        self.creates.lock().unwrap().push(prompt);
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        ResponseTemplate::new(200).set_body_json(json!({"id": format!("cgt-crash-{n}")}))
    }
}

/// The query call: `running` until released, then `succeeded`.
struct Query {
    uri: String,
    polls: watch::Sender<usize>,
    release: watch::Receiver<bool>,
}

impl Respond for Query {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.polls.send_modify(|p| *p += 1);
        let id = request.url.path().rsplit('/').next().unwrap_or_default();
        let answer = if *self.release.borrow() {
            json!({"id": id, "status": "succeeded", "duration": 5,
                "content": {"video_url": format!("{}/files/{id}.mp4", self.uri)}})
        } else {
            json!({"id": id, "status": "running"})
        };
        ResponseTemplate::new(200).set_body_json(answer)
    }
}

fn two_clips() -> Drama {
    let mut d = Drama::new("drama_paidonce", "Liftoff", "A corgi flies.", "corgi");
    d.characters.push(Character::new("char-a", "Ava", "a border collie"));
    let mut ep = Episode::new("ep1", "One", "x");
    for s in 1..=2 {
        let sid = format!("ep1-sc{s}");
        let mut sc = Scene::new(&sid, "x");
        let mut img = Asset::new(format!("{sid}-img"), AssetKind::Image, format!("keyframe {s}"));
        img.depends_on = vec!["char-a".into()];
        let mut vid = Asset::new(format!("{sid}-vid"), AssetKind::Video, format!("clip {s}"));
        vid.depends_on = vec![img.id.clone()];
        vid.duration = Some(5);
        sc.assets = vec![img, vid];
        ep.scenes.push(sc);
    }
    d.episodes.push(ep);
    d
}

#[tokio::test(flavor = "multi_thread")]
async fn a_render_resumes_its_provider_tasks_after_sigkill_and_pays_once() {
    let provider = MockServer::start().await;
    let (polls, _) = watch::channel(0usize);
    let (release, released) = watch::channel(false);
    let create = Create {
        creates: Mutex::new(Vec::new()),
        next: AtomicUsize::new(0),
    };
    Mock::given(method("POST"))
        .and(path(TASKS))
        .respond_with(create)
        .named("create")
        .mount(&provider)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(format!("^{TASKS}/cgt-crash-[0-9]+$")))
        .respond_with(Query {
            uri: provider.uri(),
            polls: polls.clone(),
            release: released,
        })
        .mount(&provider)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/files/cgt-crash-[0-9]+\\.mp4$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP4, "video/mp4"))
        .mount(&provider)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().to_str().unwrap().to_string();
    let base = format!("{}/api/v3", provider.uri());
    let envs = [
        ("SFD_RUNNER_ID", "paid-once-runner"),
        ("SFD_SIMULATED_MEDIA", "true"),
        ("SFD_VIDEO_PROVIDER", "seedance"),
        ("ARK_API_KEY", "ark-test-secret-key"),
        ("ARK_API_BASE", base.as_str()),
        ("SFD_POLL_INTERVAL", "20ms"),
    ];
    let mut server = Replica::start(&storage, &envs);
    server.client.import_drama(&two_clips()).await.unwrap();
    let job = server
        .client
        .render("drama_paidonce", &RenderRequest::default())
        .await
        .unwrap();
    // Both clips' tasks are created, saved and being polled.
    let mut seen = polls.subscribe();
    seen.wait_for(|p| *p >= 4).await.unwrap();
    server.kill();
    let creates_before: usize = provider
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(creates_before, 2);

    release.send_replace(true);
    let again = Replica::start(&storage, &envs);
    let done = again
        .client
        .wait_for_job("drama_paidonce", &job.job_id, Duration::from_secs(120))
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    let requests = provider.received_requests().await.unwrap();
    let prompts: Vec<String> = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["content"][0]["text"].to_string())
        .collect();
    assert_eq!(prompts.len(), 2, "the provider saw a second create: {prompts:?}");
    assert_eq!(prompts.iter().collect::<HashSet<_>>().len(), 2, "{prompts:?}");
    let d = again.client.get_drama("drama_paidonce").await.unwrap().value;
    for sc in &d.episodes[0].scenes {
        let url = sc.video_url.as_deref().expect("the clip was not saved");
        let mut bytes = Vec::new();
        again.client.download_media(url, &mut bytes).await.unwrap();
        assert_eq!(bytes, MP4, "the result was not downloaded into sfd's media store");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_render_of_a_rendering_drama_is_refused_by_another_replica() {
    let dir = tempfile::tempdir().unwrap();
    let storage = dir.path().to_str().unwrap().to_string();
    let envs = [("SFD_SIMULATED_MEDIA", "true")];
    let (a, b) = (Replica::start(&storage, &envs), Replica::start(&storage, &envs));
    let mut d = two_clips();
    d.id = "drama_onerender".into();
    // The simulated renderer holds a prompt marked [hold] until cancelled.
    d.episodes[0].scenes[0].assets[0].prompt = "keyframe [hold]".into();
    a.client.import_drama(&d).await.unwrap();
    let running = a.client.render(&d.id, &RenderRequest::default()).await.unwrap();
    let refused = b.client.render(&d.id, &RenderRequest::default()).await.unwrap_err();
    match &refused {
        sfd_client::Error::Api { status, error, message } => {
            assert_eq!((*status, error.as_str()), (409, "render_running"));
            assert!(message.contains(&running.job_id), "{message}");
        }
        other => panic!("expected a 409, got {other:?}"),
    }
    // Once it is cancelled, a new render is taken.
    a.client.cancel_job(&d.id, &running.job_id).await.unwrap();
    let next = b.client.render(&d.id, &RenderRequest::default()).await.unwrap();
    b.client.cancel_job(&d.id, &next.job_id).await.unwrap();
}
