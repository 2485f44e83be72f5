//! The old server's Streamlit viewer against sfd: every call its API client
//! (`viewer/utils.py`, `DramaAPIClient`) makes, sent exactly as it sends
//! them (`requests.request(method, url, json=…)`, query strings built by
//! hand, then `raise_for_status()` and `.json()`).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sfd_client::{GenerationRequest, JobStatus, LibraryTag, LibraryType};
use sfd_core::SimulatedRenderer;

use crate::harness::{Options, TestServer};
use crate::media::render_with;

const WAIT: Duration = Duration::from_secs(120);

/// `DramaAPIClient` of the old viewer: `_make_request` and its methods.
struct Viewer {
    base: String,
    api_key: Option<String>,
    http: reqwest::Client,
}

impl Viewer {
    /// `_make_request`: the request, `raise_for_status()`, then `.json()`.
    async fn request(&self, method: reqwest::Method, endpoint: &str, json: Option<Value>) -> Value {
        let mut rb = self.http.request(method.clone(), format!("{}{endpoint}", self.base));
        if let Some(k) = &self.api_key {
            rb = rb.header("X-API-Key", k);
        }
        rb = match json {
            Some(body) => rb.json(&body),
            // requests sends an empty body with Content-Length: 0 on POST and DELETE.
            None if method != reqwest::Method::GET => rb.header("content-length", "0"),
            None => rb,
        };
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert!(status.is_success(), "{method} {endpoint}: {status} {body}");
        body
    }

    async fn get_drama(&self, drama_id: &str) -> Value {
        self.request(reqwest::Method::GET, &format!("/dramas/{drama_id}"), None)
            .await
    }

    async fn list_dramas(&self, skip: u32, limit: u32) -> Value {
        let endpoint = format!("/dramas?skip={skip}&limit={limit}");
        self.request(reqwest::Method::GET, &endpoint, None).await
    }

    async fn get_job(&self, drama_id: &str, job_id: &str) -> Value {
        let endpoint = format!("/dramas/{drama_id}/jobs/{job_id}");
        self.request(reqwest::Method::GET, &endpoint, None).await
    }

    async fn list_jobs(&self, drama_id: &str) -> Value {
        self.request(reqwest::Method::GET, &format!("/dramas/{drama_id}/jobs"), None)
            .await
    }

    async fn delete_drama(&self, drama_id: &str) -> Value {
        self.request(reqwest::Method::DELETE, &format!("/dramas/{drama_id}"), None)
            .await
    }

    async fn improve_drama(&self, drama_id: &str, feedback: &str) -> Value {
        let endpoint = format!("/dramas/{drama_id}/improve");
        self.request(reqwest::Method::POST, &endpoint, Some(json!({"feedback": feedback})))
            .await
    }

    async fn critique_drama(&self, drama_id: &str) -> Value {
        let endpoint = format!("/dramas/{drama_id}/critique");
        self.request(reqwest::Method::POST, &endpoint, None).await
    }

    async fn generate_full_drama(&self, drama_id: &str) -> Value {
        let endpoint = format!("/dramas/{drama_id}/generate");
        self.request(reqwest::Method::POST, &endpoint, None).await
    }

    async fn generate_character(&self, drama_id: &str, character_id: &str) -> Value {
        let endpoint = format!("/dramas/{drama_id}/characters/{character_id}/generate");
        self.request(reqwest::Method::POST, &endpoint, None).await
    }

    /// `list_assets`: the query joined by hand, values unencoded.
    async fn list_assets(&self, user_id: &str, project_name: Option<&str>) -> Value {
        let mut params = vec![format!("user_id={user_id}")];
        params.extend(project_name.map(|p| format!("project_name={p}")));
        let endpoint = format!("/asset-library/list?{}", params.join("&"));
        self.request(reqwest::Method::GET, &endpoint, None).await
    }
}

async fn finished(s: &TestServer, drama_id: &str, started: &Value) -> sfd_client::Job {
    let job_id = started["jobId"].as_str().unwrap();
    let job = s.client.wait_for_job(drama_id, job_id, WAIT).await.unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{job:?}");
    job
}

#[tokio::test]
async fn every_call_of_the_old_viewer_works() {
    let s = TestServer::with(Options {
        render: render_with(Arc::new(SimulatedRenderer::new().with_image_size(64))),
        keys: vec!["viewer-key".into()],
        ..Default::default()
    })
    .await;
    let req = GenerationRequest::new("a corgi detective")
        .with_episodes(1)
        .with_scenes_per_episode(1);
    let started = s.client.generate_drama(&req).await.unwrap();
    let id = started.drama_id.clone();
    s.client.wait_for_job(&id, &started.job_id, WAIT).await.unwrap();
    let viewer = Viewer {
        base: s.base.clone(),
        api_key: Some("viewer-key".into()),
        http: reqwest::Client::new(),
    };

    let drama = viewer.get_drama(&id).await;
    assert_eq!(drama["id"], id.as_str());
    let page = viewer.list_dramas(0, 10).await;
    assert_eq!(page["dramas"][0]["id"], id.as_str());
    let jobs = viewer.list_jobs(&id).await;
    let first = jobs["jobs"][0]["jobId"].as_str().unwrap().to_string();
    assert_eq!(viewer.get_job(&id, &first).await["status"], "completed");

    let critique = viewer.critique_drama(&id).await;
    assert_eq!(critique["status"], "pending");
    let job = finished(&s, &id, &critique).await;
    assert!(job.result.unwrap()["feedback"].is_string());

    let improved = viewer.improve_drama(&id, "More rockets.").await;
    let improved_id = improved["improvedId"].as_str().unwrap().to_string();
    finished(&s, &improved_id, &improved).await;

    let cid = drama["characters"][0]["id"].as_str().unwrap();
    finished(&s, &id, &viewer.generate_character(&id, cid).await).await;
    finished(&s, &id, &viewer.generate_full_drama(&id).await).await;

    // The gallery: the library of user 10000's project named after the drama.
    assert_eq!(viewer.list_assets("10000", Some(&id)).await["assets"], json!([]));
    let up = s
        .client
        .library(&id)
        .upload(
            LibraryType::Image,
            LibraryTag::Storyboard,
            "board.png",
            &b"\x89PNG\r\n\x1a\nboard"[..],
            None,
        )
        .await
        .unwrap();
    let gallery = viewer.list_assets("10000", Some(&id)).await;
    assert_eq!(gallery["total"], 1);
    let card = &gallery["assets"][0];
    assert_eq!(
        (card["asset_id"].as_str(), card["asset_type"].as_str()),
        (Some(up.asset_id.as_str()), Some("image"))
    );
    assert!(card["public_url"].is_string() && card["tag"] == "storyboard");

    assert_eq!(viewer.delete_drama(&id).await, json!({"success": true}));
    assert_eq!(s.client.get_drama(&id).await.unwrap_err().status(), Some(404));
}
