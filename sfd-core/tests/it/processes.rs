//! Two OS processes editing one local folder lose nothing.
//!
//! The test re-runs this test binary as child processes (filtered to the
//! `child_editor` entry point); each child edits its half of the scenes.

use std::process::Command;

use sfd_core::StorageExt;

use crate::backends::local_at;
use crate::conformance::{assert_all_edited, sample};

const DIR_ENV: &str = "SFD_CHILD_DIR";
const PART_ENV: &str = "SFD_CHILD_PART";

/// Entry point of a child process; does nothing in a normal test run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_editor() {
    let (Ok(dir), Ok(part)) = (std::env::var(DIR_ENV), std::env::var(PART_ENV)) else {
        return;
    };
    let part: usize = part.parse().unwrap();
    let storage = local_at(dir.into());
    let d = storage.get_drama("procs").await.unwrap().value;
    let mine: Vec<_> = d
        .episodes
        .iter()
        .flat_map(|e| e.scenes.iter().map(move |s| (e.id.clone(), s.id.clone())))
        .enumerate()
        .filter(|(i, _)| i % 2 == part)
        .map(|(_, x)| x)
        .collect();
    let tasks = mine.into_iter().map(|(ep, sc)| {
        let storage = storage.clone();
        tokio::spawn(async move {
            let patch = sfd_core::ScenePatch {
                description: Some(format!("edited {sc}")),
                ..Default::default()
            };
            sfd_core::EditExt::update_scene(&*storage, "procs", &ep, &sc, patch, None)
                .await
                .unwrap();
        })
    });
    for t in futures::future::join_all(tasks).await {
        t.unwrap();
    }
}

#[tokio::test]
async fn two_processes_on_one_local_folder_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let storage = local_at(dir.path().to_path_buf());
    storage.create_drama(&sample("procs", 4, 50)).await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|part| {
            Command::new(&exe)
                .args(["--exact", "processes::child_editor", "--nocapture", "--test-threads=1"])
                .env(DIR_ENV, dir.path())
                .env(PART_ENV, part.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a child process failed");
    }
    assert_all_edited(&storage.get_drama("procs").await.unwrap().value);
}
