//! Retries and job waiting against a mocked server (wiremock).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use serde_json::json;
use sfd_client::{Client, JobStatus};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    Client::new(server.uri()).with_retries(3, Duration::from_millis(1))
}

fn drama() -> serde_json::Value {
    json!({"id": "d1", "title": "t", "description": "x", "premise": "p", "url": null,
           "characters": [], "episodes": [], "assets": [], "metadata": null})
}

fn job(status: &str) -> serde_json::Value {
    json!({"jobId": "job_1", "type": "generate_drama", "status": status, "dramaId": "d1", "createdAt": 1})
}

#[tokio::test]
async fn a_get_answered_503_twice_is_retried_and_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/dramas/d1"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"error": "storage_unavailable", "message": "try again"})),
        )
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/dramas/d1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(drama())
                .insert_header("etag", "\"v1\""),
        )
        .mount(&server)
        .await;
    let d = client(&server).get_drama("d1").await.unwrap();
    assert_eq!(d.value.id, "d1");
    assert_eq!(d.etag.as_deref(), Some("\"v1\""));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_post_is_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"error": "storage_unavailable", "message": "down"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .generate_drama(&sfd_client::GenerationRequest::new("p"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn a_patch_is_retried_only_with_if_match() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&server)
        .await;
    let c = client(&server);
    let patch = sfd_client::DramaPatch::default();
    assert!(c.update_drama("d1", &patch, None).await.is_err());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    let err = c.update_drama("d1", &patch, Some("\"v1\"")).await.unwrap_err();
    assert_eq!(server.received_requests().await.unwrap().len(), 1 + 4);
    // A non-JSON error body still becomes a typed error.
    assert!(matches!(err, sfd_client::Error::Api { status: 502, ref message, .. } if message == "bad gateway"));
}

#[tokio::test]
async fn errors_map_to_typed_variants() {
    let server = MockServer::start().await;
    for (p, status, title) in [
        ("/dramas/a", 404, "not_found"),
        ("/dramas/b", 401, "unauthorized"),
        ("/dramas/c", 422, "validation_error"),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({"error": title, "message": "m"})))
            .mount(&server)
            .await;
    }
    let c = client(&server);
    assert!(c.get_drama("a").await.unwrap_err().is_not_found());
    assert!(c.get_drama("b").await.unwrap_err().is_unauthorized());
    assert!(c.get_drama("c").await.unwrap_err().is_invalid());
    Mock::given(method("GET"))
        .and(path("/dramas/bad"))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .mount(&server)
        .await;
    assert!(
        matches!(c.get_drama("bad").await.unwrap_err(), sfd_client::Error::Decode { ref body, .. } if body == "not json")
    );
}

#[tokio::test]
async fn wait_for_job_falls_back_to_polling_without_sse() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/dramas/d1/jobs/job_1/events"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"error": "not_found", "message": "no SSE here"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/dramas/d1/jobs/job_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("processing")))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/dramas/d1/jobs/job_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(job("completed")))
        .mount(&server)
        .await;
    let done = client(&server)
        .wait_for_job("d1", "job_1", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Completed);
}

#[tokio::test]
async fn wait_for_job_reads_completion_from_sse() {
    let server = MockServer::start().await;
    let body = format!(
        "id: 1\nevent: status\ndata: {}\n\nid: 2\nevent: status\ndata: {}\n\nevent: end\ndata: {{}}\n\n",
        job("processing"),
        job("completed")
    );
    Mock::given(method("GET"))
        .and(path("/dramas/d1/jobs/job_1/events"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(body),
        )
        .mount(&server)
        .await;
    let done = client(&server)
        .wait_for_job("d1", "job_1", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(done.status, JobStatus::Completed);
    // Only the stream was used: no polling.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
