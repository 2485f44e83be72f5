//! Provider keys never reach the logs nor a job's error, with the real
//! binary: every provider's key is set to a distinctive value, a render
//! goes through a video provider (a scripted Seedance / Ark server,
//! <https://docs.byteplus.com/en/docs/ModelArk/1520757>) that first refuses
//! the key (its error echoing it back) and then makes the clip, all at
//! debug level.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use sfd_core::{Asset, AssetKind, Character, Drama, Episode, JobStatus, RenderRequest, Scene};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_sfd-server");
const MP4: &[u8] = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41 scripted clip";
const TASKS: &str = "/api/v3/contents/generations/tasks";
const ARK_KEY: &str = "ark-secret-5c1e0d7a";

/// Every provider key, each a value that appears nowhere else.
const KEYS: &[(&str, &str)] = &[
    ("ARK_API_KEY", ARK_KEY),
    ("KLING_ACCESS_KEY", "kling-access-3b9f71c2"),
    ("KLING_SECRET_KEY", "kling-secret-8e4a06d5"),
    ("DASHSCOPE_API_KEY", "dashscope-secret-1f7c93ab"),
    ("MINIMAX_API_KEY", "minimax-secret-62d0b4e8"),
    ("GEMINI_API_KEY", "gemini-secret-a95c3e17"),
    ("FAL_KEY", "fal-secret-40e7d2b9"),
    ("REPLICATE_API_TOKEN", "replicate-secret-d3816fa0"),
    ("ELEVENLABS_API_KEY", "elevenlabs-secret-7ab25c64"),
    ("OPENAI_API_KEY", "sk-openai-secret-0c5e9d31"),
];

/// The create call: the first is refused with Ark's error shape, its
/// message echoing the key it got; the rest make a task.
struct Create(AtomicUsize);

impl Respond for Create {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            let got = request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            return ResponseTemplate::new(401).set_body_json(json!({"error": {
                "code": "AuthenticationError",
                "message": format!("The API key in the request is invalid: {got}"),
                "type": "Unauthorized"}}));
        }
        ResponseTemplate::new(200).set_body_json(json!({"id": "cgt-keys-1"}))
    }
}

fn one_clip(id: &str) -> Drama {
    let mut d = Drama::new(id, "Keys", "A corgi keeps a secret.", "corgi");
    d.characters.push(Character::new("char-a", "Ava", "a border collie"));
    let mut ep = Episode::new("ep1", "One", "x");
    let mut sc = Scene::new("ep1-sc1", "x");
    let mut img = Asset::new("ep1-sc1-img", AssetKind::Image, "keyframe");
    img.depends_on = vec!["char-a".into()];
    let mut vid = Asset::new("ep1-sc1-vid", AssetKind::Video, "clip");
    vid.depends_on = vec![img.id.clone()];
    vid.duration = Some(5);
    sc.assets = vec![img, vid];
    ep.scenes.push(sc);
    d.episodes.push(ep);
    d
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_keys_never_reach_the_logs_or_a_job_error() {
    let provider = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TASKS))
        .respond_with(Create(AtomicUsize::new(0)))
        .mount(&provider)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{TASKS}/cgt-keys-1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "cgt-keys-1",
            "status": "succeeded", "duration": 5,
            "content": {"video_url": format!("{}/files/clip.mp4", provider.uri())}})))
        .mount(&provider)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/files/clip\\.mp4$"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MP4, "video/mp4"))
        .mount(&provider)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let base = format!("{}/api/v3", provider.uri());
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--log-format", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SFD_DATA_DIR", dir.path())
        .env("RUST_LOG", "debug")
        .env("SFD_SIMULATED_MEDIA", "true")
        .env("SFD_VIDEO_PROVIDER", "seedance")
        .env("ARK_API_BASE", &base)
        .env("SFD_POLL_INTERVAL", "20ms")
        .envs(KEYS.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut log = String::new();
    let addr = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the server exited: {log}");
        log.push_str(&line);
        if line.contains("listening")
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
        {
            break v["fields"]["addr"].as_str().unwrap_or_default().to_string();
        }
    };
    // Keep draining both logs so the server never blocks on a full pipe.
    let out = std::thread::spawn(move || {
        let mut tail = String::new();
        let _ = stdout.read_to_string(&mut tail);
        tail
    });
    let mut stderr = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = stderr.read_to_string(&mut all);
        all
    });
    let client = sfd_client::Client::new(format!("http://{addr}"));
    client.import_drama(&one_clip("drama_keys")).await.unwrap();
    let mut errors = Vec::new();
    for expected in [JobStatus::Failed, JobStatus::Completed] {
        let job = client.render("drama_keys", &RenderRequest::default()).await.unwrap();
        let done = client
            .wait_for_job("drama_keys", &job.job_id, Duration::from_secs(120))
            .await
            .unwrap();
        assert_eq!(done.status, expected, "{:?}", done.error);
        errors.push(done.error.unwrap_or_default());
    }
    assert!(
        errors[0].contains("seedance") && errors[0].contains("401") && errors[0].contains("invalid"),
        "the refusal was not reported: {}",
        errors[0]
    );
    // The provider did get the key, so its absence below means something.
    let reqs = provider.received_requests().await.unwrap();
    assert!(reqs.iter().all(|r| {
        r.headers
            .get("authorization")
            .is_some_and(|v| v.to_str().unwrap().contains(ARK_KEY))
            || r.url.path().starts_with("/files/")
    }));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    log.push_str(&out.join().unwrap());
    log.push_str(&err.join().unwrap());
    assert!(log.contains("seedance"), "the render did not log its provider: {log}");
    for (name, secret) in KEYS {
        assert!(!log.contains(secret), "{name} reached the logs");
        for e in &errors {
            assert!(!e.contains(secret), "{name} reached a job error: {e}");
        }
    }
}
