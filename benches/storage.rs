//! Storage benchmarks: document parsing, get, compare-and-swap edits and
//! listing, on memory, the local folder and (when `SFD_TEST_S3_ENDPOINT` /
//! `SFD_TEST_S3_BUCKET` are set) a real S3-compatible server.
//!
//! ```text
//! cargo bench -p sfd-benches --bench storage
//! ```
//!
//! Baselines measured in the same run:
//! - `page100/sequential_full` reads a page the way the old server did:
//!   one whole document after another;
//! - `write/unconditional_put` writes the document with no version check.

#![allow(clippy::expect_used)] // a benchmark aborts on any failure

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sfd_core::{Drama, EditExt, Key, ListOptions, ScenePatch, Storage, StorageBuilder, StorageExt, WriteMode};

const FIXTURE: &[u8] = include_bytes!("../fixtures/corgi_musk_v5.json");
const DRAMAS: usize = 1000;

fn documents(c: &mut Criterion) {
    let drama = Drama::from_slice(FIXTURE).expect("fixture parses");
    let mut g = c.benchmark_group("document_v5");
    g.bench_function("parse", |b| b.iter(|| Drama::from_slice(std::hint::black_box(FIXTURE))));
    g.bench_function("serialise", |b| b.iter(|| std::hint::black_box(&drama).to_vec()));
    g.finish();
}

fn backends() -> Vec<(&'static str, Arc<dyn Storage>, Option<tempfile::TempDir>)> {
    let mut out: Vec<(&'static str, Arc<dyn Storage>, Option<tempfile::TempDir>)> = Vec::new();
    out.push((
        "memory",
        Arc::new(StorageBuilder::memory().build().expect("memory")),
        None,
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let local = StorageBuilder::local(dir.path()).build().expect("local");
    out.push(("local", Arc::new(local), Some(dir)));
    if let (Ok(endpoint), Ok(bucket)) = (
        std::env::var("SFD_TEST_S3_ENDPOINT"),
        std::env::var("SFD_TEST_S3_BUCKET"),
    ) {
        let prefix = format!("bench-{}", std::process::id());
        let url = format!(
            "s3://{bucket}/{prefix}?endpoint={endpoint}&region=us-east-1&access_key_id=sfd&secret_access_key=sfd"
        );
        let s3 = StorageBuilder::from_url(&url).and_then(|b| b.build()).expect("s3");
        out.push(("seaweedfs", Arc::new(s3), None));
    }
    out
}

fn with_id(id: &str) -> Drama {
    let mut d = Drama::from_slice(FIXTURE).expect("fixture parses");
    d.id = id.to_string();
    d
}

fn storage(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for (name, s, _dir) in backends() {
        rt.block_on(async {
            futures::future::join_all((0..DRAMAS).map(|i| {
                let s = Arc::clone(&s);
                async move { s.create_drama(&with_id(&format!("d{i:04}"))).await.expect("seed") }
            }))
            .await;
        });
        // Flush the seed data's dirty pages first, so the figures measure the
        // operations and not the kernel writing 38 MB back in the background.
        let _ = std::process::Command::new("sync").status();
        let mut g = c.benchmark_group(format!("storage_{name}"));
        g.measurement_time(Duration::from_secs(5));
        g.bench_function("get_bytes", |b| {
            b.to_async(&rt)
                .iter(|| async { s.get_drama_bytes("d0001").await.expect("get") })
        });
        g.bench_function("get_parsed", |b| {
            b.to_async(&rt)
                .iter(|| async { s.get_drama("d0001").await.expect("get") })
        });
        let mut n = 0u64;
        g.bench_function("write/cas_edit_scene", |b| {
            b.to_async(&rt).iter(|| {
                n += 1;
                let patch = ScenePatch {
                    description: Some(format!("edit {n}")),
                    ..Default::default()
                };
                let s = Arc::clone(&s);
                async move {
                    s.update_scene("d0002", "ep1", "ep1-sc1", patch, None)
                        .await
                        .expect("edit")
                }
            })
        });
        let body = bytes::Bytes::from(with_id("d0003").to_vec());
        let key = Key::drama("d0003").expect("key");
        g.bench_function("write/unconditional_put", |b| {
            b.to_async(&rt)
                .iter(|| async { s.put(&key, body.clone(), WriteMode::Overwrite).await.expect("put") })
        });
        g.bench_function("page100/summary", |b| {
            let opts = ListOptions::new(100).with_cursor(sfd_core::Cursor::after("d0499").to_string());
            b.to_async(&rt)
                .iter(|| async { s.list_dramas(&opts).await.expect("list") })
        });
        g.bench_function("page100/full", |b| {
            let opts = ListOptions::new(100).with_cursor(sfd_core::Cursor::after("d0499").to_string());
            b.to_async(&rt)
                .iter(|| async { s.list_dramas_full(&opts).await.expect("list") })
        });
        g.bench_function("page100/sequential_full", |b| {
            b.to_async(&rt).iter(|| async {
                let mut out = Vec::with_capacity(100);
                for i in 500..600 {
                    out.push(s.get_drama(&format!("d{i:04}")).await.expect("get").value);
                }
                out
            })
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1));
    targets = documents, storage
}
criterion_main!(benches);
