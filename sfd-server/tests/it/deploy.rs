//! The real binary as it is deployed: one JSON access-log line per request
//! with the README's field set (`--log-format json`), `/metrics` opened by
//! `SFD_METRICS_PUBLIC=1`, and the container image's environment (`HOST=0.0.0.0`,
//! `PORT`, no `--port`) serving `/health` on a non-loopback address.

use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_sfd-server");

/// The fields every access-log line holds (README, "Deploy").
const ACCESS_FIELDS: &[&str] = &["request_id", "method", "route", "path", "status", "duration_ms"];

/// Starts the binary with `envs` (and PATH) and `args`, JSON logs on stdout;
/// returns it, its stdout after the "listening" line, and the address it named.
#[allow(clippy::zombie_processes)] // the caller's `stop` waits for it
fn start(envs: &[(&str, &str)], args: &[&str]) -> (Child, BufReader<ChildStdout>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["--log-format", "json"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SFD_DATA_DIR", dir.path())
        .env("RUST_LOG", "info")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server exited before listening"
        );
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["fields"]["message"] == "sfd-server listening" {
            let addr = v["fields"]["addr"].as_str().unwrap().to_string();
            return (child, stdout, addr, dir);
        }
    }
}

/// Stops the server with SIGTERM and returns every line it wrote (stdout, then stderr).
fn stop(mut child: Child, mut stdout: BufReader<ChildStdout>) -> Vec<String> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut out = String::new();
    stdout.read_to_string(&mut out).unwrap();
    assert!(child.wait().unwrap().success());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    out.lines().chain(err.lines()).map(str::to_string).collect()
}

#[tokio::test]
async fn json_logs_have_one_line_per_request_with_the_documented_fields() {
    let key = "k-deploy-7e1";
    let envs = [("API_KEYS", key), ("SFD_METRICS_PUBLIC", "1")];
    let (child, stdout, addr, _dir) = start(&envs, &["--port", "0", "--storage", "memory://", "--simulated-llm"]);
    // The few lines these requests log fit in the pipe; `stop` reads them all.
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str, rid: &str| {
        http.request(method, format!("{base}{path}"))
            .header("x-api-key", key)
            .header("x-request-id", rid)
    };
    let drama = json!({"drama": {"id": "logged", "title": "T", "description": "D", "premise": "P"}});
    let r = send(reqwest::Method::POST, "/dramas", "rid-create")
        .json(&drama)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = send(reqwest::Method::PATCH, "/dramas/logged", "rid-stale")
        .header("if-match", "\"stale\"")
        .json(&json!({"title": "U"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = send(reqwest::Method::POST, "/dramas", "rid-job")
        .json(&json!({"premise": "a corgi tycoon", "id": "logged_gen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let job_id = r.json::<Value>().await.unwrap()["jobId"].as_str().unwrap().to_string();
    let path = format!("/dramas/logged_gen/jobs/{job_id}");
    let r = send(reqwest::Method::GET, &path, "rid-poll").send().await.unwrap();
    assert_eq!(r.status(), 200);
    // SFD_METRICS_PUBLIC=1: /metrics without a key; everything else still needs one.
    let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("sfd_http_requests_total{"), "{text}");
    let r = http
        .get(format!("{base}/dramas"))
        .header("x-request-id", "rid-denied")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let lines = stop(child, stdout);
    let mut requests = std::collections::HashMap::new();
    for line in &lines {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v["timestamp"].is_string() && v["level"].is_string(), "{line}");
        let f = &v["fields"];
        if f["message"] != "request" {
            continue;
        }
        for field in ACCESS_FIELDS {
            assert!(!f[field].is_null(), "{field} missing: {line}");
        }
        assert!(f["duration_ms"].is_number() && f["status"].is_number(), "{line}");
        requests.insert(f["request_id"].as_str().unwrap().to_string(), f.clone());
    }
    let line = |rid: &str| {
        requests
            .get(rid)
            .unwrap_or_else(|| panic!("no line for {rid}: {lines:?}"))
    };
    let stale = line("rid-stale");
    assert_eq!(
        (&stale["method"], &stale["route"], &stale["path"], &stale["status"]),
        (
            &json!("PATCH"),
            &json!("/dramas/{id}"),
            &json!("/dramas/logged"),
            &json!(412)
        )
    );
    assert_eq!(stale["drama_id"], "logged");
    assert!(stale["job_id"].is_null());
    // A request that starts a job names it; a job route names its ids.
    let started = line("rid-job");
    assert_eq!(
        (&started["drama_id"], &started["job_id"]),
        (&json!("logged_gen"), &json!(job_id))
    );
    let poll = line("rid-poll");
    assert_eq!(poll["route"], "/dramas/{id}/jobs/{jobId}");
    assert_eq!(
        (&poll["drama_id"], &poll["job_id"]),
        (&json!("logged_gen"), &json!(job_id))
    );
    assert_eq!(line("rid-create")["status"], 201);
    assert_eq!(line("rid-denied")["status"], 401);
    assert!(
        requests
            .values()
            .any(|f| f["route"] == "/metrics" && f["status"] == 200)
    );
    assert!(!lines.iter().any(|l| l.contains(key)), "the API key reached the log");
}

/// A non-loopback IPv4 address of this machine: the source address the
/// kernel picks for an outgoing UDP "connection" (no packet is sent).
fn non_loopback_address() -> Option<Ipv4Addr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    ["10.255.255.255:1", "192.0.2.1:9", "8.8.8.8:53"].iter().find_map(|to| {
        socket.connect(to).ok()?;
        match socket.local_addr().ok()?.ip() {
            IpAddr::V4(ip) if !ip.is_loopback() && !ip.is_unspecified() => Some(ip),
            _ => None,
        }
    })
}

#[tokio::test]
async fn the_image_environment_serves_health_on_a_non_loopback_address() {
    // The container recipe itself needs a container engine and the network;
    // this checks what the image relies on: HOST=0.0.0.0 and PORT, no flag.
    let port = std::net::TcpListener::bind("0.0.0.0:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let envs = [
        ("HOST", "0.0.0.0"),
        ("PORT", port.as_str()),
        ("SFD_STORAGE", "memory://"),
    ];
    let (child, stdout, addr, _dir) = start(&envs, &[]);
    assert_eq!(addr, format!("0.0.0.0:{port}"));
    // A machine with only a loopback interface has no other address to try:
    // there the bind to 0.0.0.0 is checked through 127.0.0.1.
    let ip = non_loopback_address().unwrap_or(Ipv4Addr::LOCALHOST);
    let r = reqwest::get(format!("http://{ip}:{port}/health")).await.unwrap();
    assert_eq!(r.status(), 200, "GET /health on {ip}:{port}");
    let health: Value = r.json().await.unwrap();
    assert_eq!(health["status"], "ok");
    stop(child, stdout);
}
