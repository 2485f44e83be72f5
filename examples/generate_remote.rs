//! Generates a drama through a running sfd-server with sfd-client, waits for
//! the job over Server-Sent Events, and prints the outline.
//!
//! ```text
//! cargo run --release -p sfd-server -- --simulated-llm &
//! cargo run -p sfd-examples --example generate_remote -- http://127.0.0.1:8000
//! ```

use std::time::Duration;

use sfd_client::{Client, GenerationRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8000".into());
    let mut client = Client::new(base);
    if let Ok(key) = std::env::var("SFD_API_KEY") {
        client = client.with_api_key(key);
    }
    let started = client
        .generate_drama(&GenerationRequest::new(
            "A corgi inventor becomes the richest dog in the world, 3 episodes",
        ))
        .await?;
    println!("queued job {} for drama {}", started.job_id, started.drama_id);
    let job = client
        .wait_for_job(&started.drama_id, &started.job_id, Duration::from_secs(900))
        .await?;
    if let Some(err) = &job.error {
        return Err(format!("generation failed: {err}").into());
    }
    let d = client.get_drama(&started.drama_id).await?.value;
    println!("{} ({})", d.title, d.id);
    for e in &d.episodes {
        println!("  {}: {} — {} scenes", e.id, e.title, e.scenes.len());
    }
    Ok(())
}
