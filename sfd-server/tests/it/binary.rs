//! The real `sfd-server` binary: configuration that fails fast and names its
//! variable, secrets kept out of the logs, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sfd-server");

fn run_failing(envs: &[(&str, &str)], args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SFD_DATA_DIR", dir.path())
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    assert!(!out.status.success(), "expected a failure for {envs:?}");
    String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout)
}

#[test]
fn bad_settings_fail_fast_naming_the_variable() {
    assert!(run_failing(&[("PORT", "eighty")], &[]).contains("PORT"));
    assert!(run_failing(&[("OPENAI_API_BASE", "localhost:8000")], &["--port", "0"]).contains("OPENAI_API_BASE"));
    let r2 = run_failing(&[("R2_ACCESS_KEY_ID", "AKIA-EXAMPLE")], &["--port", "0"]);
    assert!(
        r2.contains("R2_ACCOUNT_ID") || r2.contains("R2_SECRET_ACCESS_KEY"),
        "{r2}"
    );
    assert!(run_failing(&[("SFD_STORAGE", "gs://bucket")], &["--port", "0"]).contains("SFD_STORAGE"));
    assert!(run_failing(&[("SFD_JOB_TIMEOUT", "forever")], &["--port", "0"]).contains("SFD_JOB_TIMEOUT"));
    assert!(run_failing(&[("SFD_VIDEO_PROVIDER", "sora9")], &["--port", "0"]).contains("SFD_VIDEO_PROVIDER"));
}

/// Reads a JSON log into `log` up to the "listening" line, and returns the address it names.
fn read_address(stdout: &mut impl BufRead, log: &mut String) -> String {
    loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "the server exited: {log}");
        log.push_str(&line);
        if line.contains("listening") {
            let v: serde_json::Value = serde_json::from_str(&line).unwrap();
            return v["fields"]["addr"].as_str().unwrap().to_string();
        }
    }
}

/// Starts the binary with only `envs` (and PATH) set, reads its log up to
/// the "listening" line, stops it, and returns the address and the log.
fn listening(envs: &[(&str, &str)], args: &[&str]) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["--log-format", "json"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SFD_DATA_DIR", dir.path())
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut log = String::new();
    let addr = read_address(&mut stdout, &mut log);
    child.kill().unwrap();
    child.wait().unwrap();
    (addr, log.replace(dir.path().to_str().unwrap(), "$DATA_DIR"))
}

#[test]
fn a_container_is_reachable_and_blank_r2_lines_keep_the_local_folder() {
    // PORT set by the platform, or production: every interface.
    assert!(listening(&[("PORT", "0")], &[]).0.starts_with("0.0.0.0:"));
    assert!(
        listening(&[("ENVIRONMENT", "production"), ("API_KEYS", "k-1")], &["--port", "0"])
            .0
            .starts_with("0.0.0.0:")
    );
    // Otherwise, or with HOST set, as asked.
    assert!(listening(&[], &["--port", "0"]).0.starts_with("127.0.0.1:"));
    assert!(
        listening(&[("PORT", "0"), ("HOST", "127.0.0.1")], &[])
            .0
            .starts_with("127.0.0.1:")
    );
    // An old .env with empty R2 lines still stores in the local folder.
    let blank = [
        ("R2_ACCESS_KEY_ID", ""),
        ("R2_SECRET_ACCESS_KEY", ""),
        ("R2_ENDPOINT_URL", ""),
    ];
    let (_, log) = listening(&blank, &["--port", "0"]);
    assert!(log.contains("local folder $DATA_DIR"), "{log}");
}

#[test]
fn production_without_keys_refuses_to_start_unless_run_open_on_purpose() {
    let refused = run_failing(&[("ENVIRONMENT", "production")], &["--port", "0"]);
    assert!(
        refused.contains("API_KEYS") && refused.contains("SFD_ALLOW_OPEN"),
        "{refused}"
    );
    let open = [("ENVIRONMENT", "production"), ("SFD_ALLOW_OPEN", "1")];
    let (_, log) = listening(&open, &["--port", "0"]);
    assert!(log.contains("authentication is OFF"), "{log}");
    // Development keeps starting open, with the warning.
    assert!(listening(&[], &["--port", "0"]).1.contains("authentication is OFF"));
}

#[test]
fn help_lists_the_flags_and_their_variables() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in [
        "PORT",
        "API_KEYS",
        "OPENAI_API_KEY",
        "GPT_MODEL",
        "SFD_STORAGE",
        "CORS_ORIGINS",
        "HOST",
        "SFD_JOB_LEASE",
        "SFD_RUNNER_ID",
        "OPENAI_TIMEOUT_SECS",
        "SFD_LLM_ATTEMPTS",
        "SFD_LLM_CONCURRENCY",
        "SFD_LLM_LABEL",
        "SFD_JOB_TIMEOUT",
        "SFD_VIDEO_PROVIDER",
        "ARK_API_KEY",
        "GEMINI_API_KEY",
        "KLING_ACCESS_KEY",
        "DASHSCOPE_API_KEY",
        "MINIMAX_API_KEY",
        "FAL_KEY",
        "REPLICATE_API_TOKEN",
        "SFD_COMFYUI_WORKFLOW",
    ] {
        assert!(text.contains(name), "--help does not mention {name}");
    }
    assert!(
        text.contains("0.0.0.0"),
        "--help does not say when it binds every interface"
    );
}

#[tokio::test]
async fn keys_never_reach_the_logs_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let api_key = "sfd-api-key-6f1d2c";
    let openai_key = "sk-test-openai-9a8b7c6d5e";
    let mut child = Command::new(BIN)
        .args(["--port", "0", "--log-format", "json"])
        .env("SFD_DATA_DIR", dir.path())
        .env("API_KEYS", api_key)
        .env("OPENAI_API_KEY", openai_key)
        .env("OPENAI_API_BASE", "http://127.0.0.1:9/v1")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut log = String::new();
    let addr = read_address(&mut stdout, &mut log);
    // Keep draining the log so the server never blocks on a full pipe.
    let rest = std::thread::spawn(move || {
        let mut tail = String::new();
        let _ = stdout.read_to_string(&mut tail);
        tail
    });
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{base}/dramas"))
        .header("x-api-key", api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let denied = http
        .get(format!("{base}/dramas"))
        .header("x-api-key", "wrong-key-123")
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let started = http
        .post(format!("{base}/dramas"))
        .header("x-api-key", api_key)
        .json(&serde_json::json!({"premise": "a corgi tycoon", "id": "logcheck"}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let job: serde_json::Value = started.json().await.unwrap();
    // Wait for the job to fail (the LLM address refuses connections).
    let client = sfd_client::Client::new(&base).with_api_key(api_key);
    let done = client
        .wait_for_job(
            "logcheck",
            job["jobId"].as_str().unwrap(),
            std::time::Duration::from_secs(120),
        )
        .await
        .unwrap();
    assert_eq!(done.status, sfd_client::JobStatus::Failed);
    assert!(!done.error.unwrap_or_default().contains(openai_key));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "SIGTERM should end the server cleanly: {exit:?}");
    log.push_str(&rest.join().unwrap());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    log.push_str(&err);
    assert!(log.contains("shutting down"), "{log}");
    assert!(
        log.contains("\"status\":401") || log.contains("status=401") || log.contains("401"),
        "{log}"
    );
    for secret in [api_key, openai_key, "wrong-key-123"] {
        assert!(!log.contains(secret), "a secret reached the logs: {secret}");
    }
}
