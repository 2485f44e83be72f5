//! Bad input: each answers its 4xx with `{error, message}`, nothing stored
//! changes, and the server stays up.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Options, TestServer, v5};

async fn expect(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(
        resp.status(),
        StatusCode::from_u16(status).unwrap(),
        "{:?}",
        resp.headers()
    );
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"].is_string() && body["message"].is_string(), "{body}");
    body
}

/// Runs `bad` against a server holding the v5 fixture; checks the stored
/// document is byte-identical afterwards and the server still answers.
async fn unchanged_after<F, Fut>(bad: F)
where
    F: FnOnce(TestServer) -> Fut,
    Fut: std::future::Future<Output = TestServer>,
{
    let s = TestServer::with(Options {
        body_limit: 1024 * 1024,
        ..Default::default()
    })
    .await;
    s.client.import_drama(&v5()).await.unwrap();
    let before = reqwest::get(s.url("/dramas/corgi_musk_v5"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let s = bad(s).await;
    let after = reqwest::get(s.url("/dramas/corgi_musk_v5"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(before, after, "stored data changed");
    assert_eq!(s.client.health().await.unwrap().status, "ok");
    let page = s.client.list_dramas_page(10, None).await.unwrap();
    assert_eq!(page.dramas.len(), 1);
}

#[tokio::test]
async fn a_20_mb_body_is_413() {
    unchanged_after(|s| async move {
        let big = format!("{{\"title\": \"{}\"}}", "x".repeat(20 * 1024 * 1024));
        let r = reqwest::Client::new()
            .patch(s.url("/dramas/corgi_musk_v5"))
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .unwrap();
        expect(r, 413).await;
        s
    })
    .await;
}

#[tokio::test]
async fn json_nested_100000_deep_is_400() {
    unchanged_after(|s| async move {
        let deep = format!("{{\"drama\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let r = reqwest::Client::new()
            .post(s.url("/dramas"))
            .header("content-type", "application/json")
            .body(deep)
            .send()
            .await
            .unwrap();
        expect(r, 400).await;
        s
    })
    .await;
}

#[tokio::test]
async fn dot_dot_and_encoded_slashes_in_ids_are_rejected() {
    unchanged_after(|s| async move {
        let raw = reqwest::Client::new();
        for path in [
            "/dramas/..%2F..%2Fetc",
            "/dramas/a%2Fb",
            "/dramas/corgi_musk_v5/characters/..%2Fx",
        ] {
            let r = raw.delete(s.url(path)).send().await.unwrap();
            let body = expect(r, 400).await;
            assert!(body["message"].as_str().unwrap().contains("path parameter"), "{body}");
        }
        // `..` itself (the URL parser folds `%2E%2E` to `..`) matches no route.
        let r = raw.delete(s.url("/dramas/%2E%2E")).send().await.unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        s
    })
    .await;
}

#[tokio::test]
async fn null_in_a_required_field_is_422() {
    unchanged_after(|s| async move {
        let raw = reqwest::Client::new();
        for (path, body) in [
            ("/dramas/corgi_musk_v5", json!({"title": null})),
            (
                "/dramas/corgi_musk_v5/episodes/ep1/scenes/ep1-sc1",
                json!({"description": null}),
            ),
            ("/dramas/corgi_musk_v5/characters/char-corgi", json!({"main": null})),
            (
                "/dramas/corgi_musk_v5/episodes/ep1/scenes/ep1-sc1/assets/ep1-sc1-img",
                json!({"depends_on": null}),
            ),
        ] {
            let r = raw.patch(s.url(path)).json(&body).send().await.unwrap();
            let b = expect(r, 422).await;
            assert!(b["message"].as_str().unwrap().contains("null is not allowed"), "{b}");
        }
        s
    })
    .await;
}

#[tokio::test]
async fn garbage_cursor_and_bad_limits_are_400() {
    unchanged_after(|s| async move {
        let raw = reqwest::Client::new();
        for q in [
            "cursor=garbage",
            "cursor=c1.00.0000000000000000",
            "limit=0",
            "limit=5000",
            "limit=ten",
            "view=all",
        ] {
            let r = raw.get(s.url(&format!("/dramas?{q}"))).send().await.unwrap();
            expect(r, 400).await;
        }
        s
    })
    .await;
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    unchanged_after(|s| async move {
        let r = reqwest::Client::new()
            .patch(s.url("/dramas/corgi_musk_v5"))
            .header("content-type", "text/plain")
            .body("{\"title\": \"x\"}")
            .send()
            .await
            .unwrap();
        expect(r, 415).await;
        s
    })
    .await;
}

#[tokio::test]
async fn malformed_json_is_400_and_schema_errors_are_422() {
    unchanged_after(|s| async move {
        let raw = reqwest::Client::new();
        let r = raw
            .post(s.url("/dramas"))
            .header("content-type", "application/json")
            .body("{\"premise\": ")
            .send()
            .await
            .unwrap();
        expect(r, 400).await;
        for body in [
            json!({}),
            json!({"premise": 5}),
            json!({"drama": {"id": "x"}}),
            json!([1, 2]),
        ] {
            let r = raw.post(s.url("/dramas")).json(&body).send().await.unwrap();
            expect(r, 422).await;
        }
        let r = raw
            .patch(s.url("/dramas/corgi_musk_v5"))
            .json(&json!({"title": 7}))
            .send()
            .await
            .unwrap();
        expect(r, 422).await;
        // An existing id answers 409 (the old server overwrote it).
        let r = raw
            .post(s.url("/dramas"))
            .json(&json!({"drama": v5()}))
            .send()
            .await
            .unwrap();
        expect(r, 409).await;
        s
    })
    .await;
}

#[tokio::test]
async fn over_the_rate_limit_is_429_with_retry_after() {
    let s = TestServer::with(Options {
        rate_limit: 0.01, // one request, then one per 100 s
        ..Default::default()
    })
    .await;
    let raw = reqwest::Client::new();
    assert_eq!(raw.get(s.url("/dramas")).send().await.unwrap().status(), 200);
    let r = raw.get(s.url("/dramas")).send().await.unwrap();
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 1);
    expect(r, 429).await;
    // The open routes are never limited.
    assert_eq!(raw.get(s.url("/health")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn storage_down_is_503_saying_so() {
    // An S3 endpoint where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let url =
        format!("s3://bucket?endpoint=http://127.0.0.1:{port}&region=us-east-1&access_key_id=x&secret_access_key=y");
    let storage = sfd_core::StorageBuilder::from_url(&url).unwrap().build().unwrap();
    let s = TestServer::with(Options {
        storage: Some(std::sync::Arc::new(storage)),
        ..Default::default()
    })
    .await;
    let raw = reqwest::Client::new();
    let body = expect(raw.get(s.url("/dramas/some_drama")).send().await.unwrap(), 503).await;
    assert!(
        body["message"].as_str().unwrap().contains("storage is unavailable"),
        "{body}"
    );
    assert!(
        !body["message"].as_str().unwrap().contains("127.0.0.1"),
        "internals leaked: {body}"
    );
    expect(raw.get(s.url("/dramas")).send().await.unwrap(), 503).await;
    let health = raw.get(s.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    let h: Value = health.json().await.unwrap();
    assert_eq!(h["storage"], "unavailable");
}
