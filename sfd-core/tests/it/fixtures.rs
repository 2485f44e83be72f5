//! The old server's real documents import unchanged and round-trip exactly.

use serde_json::{Value, json};
use sfd_core::{Drama, StorageBuilder, StorageExt, validate};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub const FIXTURES: [&str; 2] = ["corgi_musk_v4.json", "corgi_musk_v5.json"];

#[test]
fn fixtures_round_trip_as_json_values() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let original: Value = serde_json::from_slice(&bytes).unwrap();
        let drama = Drama::from_slice(&bytes).unwrap();
        assert!(validate(&drama).is_empty(), "{name}: {}", validate(&drama));
        let back: Value = serde_json::from_slice(&drama.to_vec()).unwrap();
        assert_eq!(back, original, "{name} changed in a round trip");
    }
}

#[test]
fn unknown_fields_survive_at_every_level() {
    let mut v: Value = serde_json::from_slice(&fixture("corgi_musk_v5.json")).unwrap();
    let marker = json!({"nested": [1, 2.5, "x", null, {"deep": true}]});
    v["x_drama"] = marker.clone();
    v["characters"][0]["x_character"] = marker.clone();
    v["episodes"][0]["x_episode"] = marker.clone();
    v["episodes"][0]["scenes"][0]["x_scene"] = marker.clone();
    v["episodes"][0]["scenes"][0]["assets"][0]["x_asset"] = marker.clone();
    let drama: Drama = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&drama).unwrap(), v);
}

#[tokio::test]
async fn fixtures_import_through_storage_unchanged() {
    let storage = StorageBuilder::memory().build().unwrap();
    for name in FIXTURES {
        let bytes = fixture(name);
        let drama = Drama::from_slice(&bytes).unwrap();
        storage.create_drama(&drama).await.unwrap();
        let stored = storage.get_drama_bytes(&drama.id).await.unwrap();
        let a: Value = serde_json::from_slice(&stored.body).unwrap();
        let b: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(a, b);
    }
}
