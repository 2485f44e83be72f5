//! A real `sfd-server` process for multi-process tests, and the SeaweedFS
//! bucket they share (`SFD_TEST_S3_ENDPOINT` / `SFD_TEST_S3_BUCKET`, as
//! `scripts/test` exports them).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sfd_client::Client;

const BIN: &str = env!("CARGO_BIN_EXE_sfd-server");

/// A fresh prefix in the test bucket, or `None` (skip) when no S3 server
/// is configured; with `SFD_REQUIRE_S3` set a missing server is a failure.
pub fn shared_bucket() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (var("SFD_TEST_S3_ENDPOINT"), var("SFD_TEST_S3_BUCKET")) {
        (Some(endpoint), Some(bucket)) => Some(format!(
            "s3://{bucket}/replicas-{}?endpoint={endpoint}&region=us-east-1&access_key_id=sfd&secret_access_key=sfd",
            uuid::Uuid::new_v4().simple()
        )),
        _ => {
            assert!(
                var("SFD_REQUIRE_S3").is_none(),
                "SFD_REQUIRE_S3 is set but SFD_TEST_S3_ENDPOINT / SFD_TEST_S3_BUCKET are not"
            );
            eprintln!("skipped: no S3 server (run scripts/test, which starts SeaweedFS)");
            None
        }
    }
}

/// One `sfd-server` process on 127.0.0.1 with an ephemeral port; killed
/// (SIGKILL) when dropped.
pub struct Replica {
    child: Child,
    pub client: Client,
}

impl Replica {
    /// Starts the binary on `storage` with `envs`, and waits for its
    /// "listening" log line.
    pub fn start(storage: &str, envs: &[(&str, &str)]) -> Replica {
        let mut child = Command::new(BIN)
            .args(["--port", "0", "--log-format", "json", "--storage", storage])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the address, then keeps draining the log so the server never blocks on it.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("listening")
                    && let Ok(v) = serde_json::from_str::<serde_json::Value>(&line)
                {
                    let _ = tx.send(v["fields"]["addr"].as_str().unwrap_or_default().to_string());
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server did not start");
        let client = Client::new(format!("http://{addr}")).with_retries(0, Duration::from_millis(1));
        Replica { child, client }
    }

    /// Ends the process at once, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}
