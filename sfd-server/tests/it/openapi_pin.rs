//! The wire is pinned: `/openapi.json` as served is byte for byte the
//! document in `fixtures/openapi.json`, so a refactor that changes a route,
//! a schema or the order of either fails here. A deliberate change of the
//! wire rewrites the fixture with `SFD_BLESS_OPENAPI=1 cargo test -p
//! sfd-server --test it openapi` and shows up in review as its diff.

use serde_json::Value;

use crate::harness::TestServer;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/openapi.json");

#[tokio::test]
async fn openapi_document_is_byte_identical_to_the_pinned_one() {
    let s = TestServer::start().await;
    let served = reqwest::get(s.url("/openapi.json"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let served_value: Value = serde_json::from_slice(&served).unwrap();
    if std::env::var_os("SFD_BLESS_OPENAPI").is_some() {
        let pretty = serde_json::to_string_pretty(&served_value).unwrap() + "\n";
        std::fs::write(FIXTURE, pretty).unwrap();
    }
    let pinned: Value = serde_json::from_slice(&std::fs::read(FIXTURE).unwrap()).unwrap();
    // The fixture is kept pretty for readable diffs; the served bytes are
    // compared with its compact form, which is what the server writes.
    let expected = serde_json::to_vec(&pinned).unwrap();
    assert!(
        served[..] == expected[..],
        "/openapi.json changed; if on purpose, rerun with SFD_BLESS_OPENAPI=1 and review the diff of {FIXTURE}"
    );
}
