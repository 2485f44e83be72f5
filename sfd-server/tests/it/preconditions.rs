//! `If-Match` as RFC 9110 reads it (weak tags never match, a list matches
//! any member, `*` any existing drama), and the size limits of a request.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestServer, v5};

async fn send(s: &TestServer, method: reqwest::Method, path: &str, if_match: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .request(method, s.url(path))
        .header("if-match", if_match)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn if_match_weak_tags_lists_and_star() {
    let s = TestServer::start().await;
    let etag = s.client.import_drama(&v5()).await.unwrap().etag.unwrap();
    let weak = format!("W/{etag}");
    let title = |t: &str| json!({ "title": t });
    let patch = reqwest::Method::PATCH;
    let drama = "/dramas/corgi_musk_v5";

    // A weak tag never satisfies If-Match, not even the current version's.
    let r = send(&s, patch.clone(), drama, &weak, title("weak")).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = send(&s, reqwest::Method::DELETE, drama, &weak, json!({})).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let r = send(&s, patch.clone(), drama, &format!("{weak}, \"stale\""), title("x")).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(s.client.get_drama("corgi_musk_v5").await.unwrap().etag.unwrap(), etag);

    // A list matches any member.
    let r = send(&s, patch.clone(), drama, &format!("\"stale\", {etag}"), title("listed")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let r = send(&s, patch.clone(), drama, "\"stale\", \"older\"", title("no")).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    let scene = "/dramas/corgi_musk_v5/episodes/ep1/scenes/ep1-sc1";
    let r = send(
        &s,
        patch.clone(),
        scene,
        &format!("\"a\", {etag}, W/\"b\""),
        json!({"description": "d"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);

    // `*` matches any existing drama; a missing one is still 404.
    let r = send(&s, patch.clone(), drama, "*", title("star")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(&s, patch.clone(), "/dramas/missing", "*", title("x")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = send(&s, patch.clone(), "/dramas/missing", "\"a\", \"b\"", title("x")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A header that is not a list of entity tags is 400.
    let r = send(&s, patch, drama, "\"unterminated", title("x")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(s.client.get_drama("corgi_musk_v5").await.unwrap().value.title, "star");
}

#[tokio::test]
async fn lists_over_their_cap_are_422_and_bodies_over_2_mib_are_413() {
    let s = TestServer::start().await;
    s.client.import_drama(&v5()).await.unwrap();
    let before = s.client.get_drama("corgi_musk_v5").await.unwrap();
    let http = reqwest::Client::new();
    let scenes: Vec<Value> = (0..=sfd_core::MAX_EPISODE_SCENES)
        .map(|_| json!({"id": "", "description": "x"}))
        .collect();
    let r = http
        .post(s.url("/dramas/corgi_musk_v5/episodes"))
        .json(&json!({"title": "t", "description": "d", "scenes": scenes}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("at most 200 scenes"),
        "{body}"
    );
    let deps = vec!["char-corgi"; sfd_core::MAX_DEPENDS_ON + 1];
    let r = http
        .post(s.url("/dramas/corgi_musk_v5/assets"))
        .json(&json!({"kind": "image", "prompt": "p", "depends_on": deps}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(s.client.get_drama("corgi_musk_v5").await.unwrap().etag, before.etag);

    // A large body under the limit is parsed (off the async workers) and stored.
    let mut big = sfd_core::Drama::new("big", "t", "x".repeat(1024 * 1024), "p");
    big.metadata = Some(serde_json::Map::new());
    let r = http
        .post(s.url("/dramas"))
        .json(&json!({ "drama": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(s.client.get_drama("big").await.unwrap().value, big);
    // The default limit is 2 MiB.
    let huge = sfd_core::Drama::new("huge", "t", "x".repeat(2 * 1024 * 1024), "p");
    let r = http
        .post(s.url("/dramas"))
        .json(&json!({ "drama": huge }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
