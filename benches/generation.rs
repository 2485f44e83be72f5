//! One-shot against hierarchical generation of a 5-episode drama, with the
//! simulated LLM writing at 80 tokens/s, measured in the same run.
//!
//! ```text
//! cargo bench -p sfd-benches --bench generation
//! ```

#![allow(clippy::expect_used)] // a benchmark aborts on any failure

use std::time::Instant;

use sfd_core::generate::no_progress;
use sfd_core::{GenerateOptions, SimulatedLlm, generate_drama, generate_one_shot};

const PREMISE: &str = "create a short drama script of 5 episodes with 4 scenes each, about how Corgi Musk \
(a pixar style cartoon corgi inspired by Elon Musk) becomes the richest dog in the world";

#[tokio::main]
async fn main() {
    // `cargo test` runs benches without `--bench`: a quick smoke run then.
    let measuring = std::env::args().any(|a| a == "--bench");
    let rate: f64 = match std::env::var("SFD_BENCH_TOKENS_PER_SEC")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(r) => r,
        None if measuring => 80.0,
        None => 0.0,
    };
    let opts = GenerateOptions::default();
    println!("generation of a 5-episode, 4-scene drama; simulated LLM at {rate} tokens/s");

    let llm = SimulatedLlm::with_tokens_per_second(rate);
    let t = Instant::now();
    let one = generate_one_shot(&llm, PREMISE, &opts).await.expect("one-shot");
    let one_secs = t.elapsed().as_secs_f64();
    println!(
        "one-shot:     {one_secs:7.1} s  {} episodes  {}",
        one.drama.episodes.len(),
        one.usage
    );

    let llm = SimulatedLlm::with_tokens_per_second(rate);
    let t = Instant::now();
    let hier = generate_drama(&llm, PREMISE, &opts, &no_progress)
        .await
        .expect("hierarchical");
    let hier_secs = t.elapsed().as_secs_f64();
    println!(
        "hierarchical: {hier_secs:7.1} s  {} episodes  {}",
        hier.drama.episodes.len(),
        hier.usage
    );
    println!("ratio hierarchical / one-shot: {:.2}", hier_secs / one_secs);
}
