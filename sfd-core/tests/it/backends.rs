//! The three real backends every conformance test runs against.
//!
//! S3 is a real S3-compatible server (SeaweedFS) started by `scripts/test`,
//! which exports `SFD_TEST_S3_ENDPOINT` and `SFD_TEST_S3_BUCKET`. Without
//! them the S3 tests are skipped with a notice, unless `SFD_REQUIRE_S3=1`
//! (set by `scripts/test`), which makes their absence a failure.

use std::path::PathBuf;
use std::sync::Arc;

use sfd_core::{ObjectStorage, Storage, StorageBuilder};

/// A storage under test, plus what it takes to open a second, independent
/// instance on the same data (as a second server process would).
pub struct TestStore {
    pub storage: Arc<dyn Storage>,
    /// The same storage as its implementation, whose object store seeds
    /// layouts sfd does not write.
    pub objects: Arc<ObjectStorage>,
    reopen: Box<dyn Fn() -> Arc<dyn Storage> + Send + Sync>,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// An independent instance over the same bucket, folder or memory.
    pub fn second_instance(&self) -> Arc<dyn Storage> {
        (self.reopen)()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Local,
    S3,
}

/// The S3 URL of a fresh, empty prefix in the test bucket, if an S3 server is configured.
pub fn s3_url() -> Option<String> {
    let endpoint = std::env::var("SFD_TEST_S3_ENDPOINT").ok().filter(|v| !v.is_empty());
    let bucket = std::env::var("SFD_TEST_S3_BUCKET").ok().filter(|v| !v.is_empty());
    match (endpoint, bucket) {
        (Some(endpoint), Some(bucket)) => {
            let prefix = format!("t-{}", uuid::Uuid::new_v4().simple());
            Some(format!(
                "s3://{bucket}/{prefix}?endpoint={endpoint}&region=us-east-1&access_key_id=sfd&secret_access_key=sfd"
            ))
        }
        _ => {
            assert!(
                std::env::var("SFD_REQUIRE_S3").is_err(),
                "SFD_REQUIRE_S3 is set but SFD_TEST_S3_ENDPOINT / SFD_TEST_S3_BUCKET are not"
            );
            None
        }
    }
}

pub fn local_at(dir: PathBuf) -> Arc<dyn Storage> {
    Arc::new(StorageBuilder::local(dir).build().unwrap())
}

impl Backend {
    /// Opens a fresh, empty store, or `None` when this backend is not available here.
    pub fn open(self) -> Option<TestStore> {
        match self {
            Backend::Memory => {
                let first = StorageBuilder::memory().build().unwrap();
                let shared = Arc::clone(first.object_store());
                let first = Arc::new(first);
                Some(TestStore {
                    objects: Arc::clone(&first),
                    storage: first,
                    reopen: Box::new(move || Arc::new(ObjectStorage::new(Arc::clone(&shared), true, "memory"))),
                    _dir: None,
                })
            }
            Backend::Local => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().to_path_buf();
                let first = StorageBuilder::local(&path).build().unwrap();
                let first = Arc::new(first);
                Some(TestStore {
                    objects: Arc::clone(&first),
                    storage: first,
                    reopen: Box::new(move || local_at(path.clone())),
                    _dir: Some(dir),
                })
            }
            Backend::S3 => {
                let Some(url) = s3_url() else {
                    eprintln!("skipped: no S3 server (run scripts/test, which starts SeaweedFS)");
                    return None;
                };
                let first = StorageBuilder::from_url(&url).unwrap().build().unwrap();
                let open =
                    move || -> Arc<dyn Storage> { Arc::new(StorageBuilder::from_url(&url).unwrap().build().unwrap()) };
                let first = Arc::new(first);
                Some(TestStore {
                    objects: Arc::clone(&first),
                    storage: first,
                    reopen: Box::new(open),
                    _dir: None,
                })
            }
        }
    }
}

/// Runs one conformance test function against every backend.
#[macro_export]
macro_rules! conformance_tests {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(s) = $crate::backends::Backend::Memory.open() { super::$name(s).await }
            })*
        }
        mod local {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(s) = $crate::backends::Backend::Local.open() { super::$name(s).await }
            })*
        }
        mod s3 {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                if let Some(s) = $crate::backends::Backend::S3.open() { super::$name(s).await }
            })*
        }
    };
}

/// With `SFD_REQUIRE_S3=1` (as CI sets it), an S3 conformance test without
/// an S3 server fails instead of passing as skipped.
#[test]
fn s3_tests_fail_without_s3_when_it_is_required() {
    let run = |require: bool| {
        let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "conformance::s3::create_get_replace_delete",
            "--test-threads=1",
        ])
        .env_remove("SFD_TEST_S3_ENDPOINT")
        .env_remove("SFD_TEST_S3_BUCKET")
        .env_remove("SFD_REQUIRE_S3")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        if require {
            cmd.env("SFD_REQUIRE_S3", "1");
        }
        cmd.status().unwrap().success()
    };
    assert!(!run(true), "an S3 test passed without S3 while SFD_REQUIRE_S3=1");
    assert!(run(false), "without SFD_REQUIRE_S3 a missing S3 is a skip");
}
