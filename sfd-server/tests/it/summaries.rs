//! `sfd-server --repair-summaries`: the real binary rebuilds lost drama
//! summaries and removes orphaned ones, then exits.

use std::process::Command;

use bytes::Bytes;
use sfd_core::{Drama, Key, ListOptions, Storage, StorageBuilder, StorageExt, WriteMode};

const BIN: &str = env!("CARGO_BIN_EXE_sfd-server");

#[tokio::test]
async fn the_repair_command_rebuilds_lost_summaries_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let s = StorageBuilder::local(dir.path()).build().unwrap();
    for id in ["kept", "lost"] {
        s.create_drama(&Drama::new(id, format!("Title {id}"), "d", "p"))
            .await
            .unwrap();
    }
    s.delete(&Key::summary("lost").unwrap(), None).await.unwrap();
    let orphan = br#"{"id":"gone","title":"","description":"","premise":"","version":"v"}"#;
    s.put(
        &Key::summary("gone").unwrap(),
        Bytes::from_static(orphan),
        WriteMode::Overwrite,
    )
    .await
    .unwrap();

    let out = Command::new(BIN)
        .args(["--storage", dir.path().to_str().unwrap(), "--repair-summaries"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        report,
        serde_json::json!({"checked": 2, "rewritten": 1, "removed": 1, "corrupt": 0})
    );
    assert!(s.get(&Key::summary("lost").unwrap()).await.unwrap().is_some());
    assert!(s.get(&Key::summary("gone").unwrap()).await.unwrap().is_none());
    let page = s.list_dramas(&ListOptions::default()).await.unwrap();
    let titles: Vec<_> = page.dramas.iter().map(|d| d.title.as_str()).collect();
    assert_eq!(titles, ["Title kept", "Title lost"]);
}
