//! The studio page over real HTTP: open without a key, its own types and
//! security headers, revalidation by ETag, and the JSON 404 for a file it
//! does not have.

use serde_json::Value;

use crate::harness::TestServer;

#[tokio::test]
async fn the_page_is_open_while_the_api_asks_for_a_key() {
    let s = TestServer::with_keys(&["k1"]).await;
    let raw = reqwest::Client::new();
    let page = raw.get(s.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let hs = page.headers().clone();
    assert_eq!(hs["content-type"], "text/html; charset=utf-8");
    let csp = hs["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(hs["x-content-type-options"], "nosniff");
    assert!(hs.contains_key("x-request-id"));
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script type="module" src="/studio/app.js">"#));

    let js = raw.get(s.url("/studio/app.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(js.headers()["cache-control"], "no-cache");
    let etag = js.headers()["etag"].clone();
    let again = raw
        .get(s.url("/studio/app.js"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // The API behind it still wants the key.
    assert_eq!(raw.get(s.url("/dramas")).send().await.unwrap().status(), 401);

    let missing = raw.get(s.url("/studio/missing.js")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    let post = raw.post(s.url("/")).send().await.unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD, OPTIONS");
}
