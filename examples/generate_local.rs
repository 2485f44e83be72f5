//! Generates a drama in-process through sfd-core with the simulated LLM,
//! stores it in memory, and prints its outline.
//!
//! ```text
//! cargo run -p sfd-examples --example generate_local -- "a corgi becomes a tycoon, 3 episodes"
//! ```

use std::sync::Arc;

use sfd_core::{GenerationRequest, RunnerConfig, SimulatedLlm, StorageBuilder, StorageExt, Studio};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let premise = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "A corgi inventor becomes the richest dog in the world, 3 episodes".into());
    let storage = Arc::new(StorageBuilder::memory().build()?);
    let studio = Studio::new(
        storage,
        Some(Arc::new(SimulatedLlm::instant())),
        RunnerConfig::default(),
    );
    let job = studio
        .start_generation(GenerationRequest {
            premise,
            ..Default::default()
        })
        .await?;
    let done = studio.jobs().wait(&job.drama_id, &job.job_id).await?;
    println!("job {} ended {:?}", done.job_id, done.status);
    let drama = studio.storage().get_drama(&job.drama_id).await?.value;
    print_outline(&drama);
    studio.shutdown().await;
    Ok(())
}

fn print_outline(d: &sfd_core::Drama) {
    println!("{} ({})", d.title, d.id);
    for c in &d.characters {
        println!("  cast: {} [{}]{}", c.name, c.id, if c.main { " (lead)" } else { "" });
    }
    for e in &d.episodes {
        println!("  {}: {} — {} scenes", e.id, e.title, e.scenes.len());
    }
}
