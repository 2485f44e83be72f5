//! Best-of-N benchmark (issue 29).
//!
//! A drama of 5 characters and 3 episodes × 5 scenes, one keyframe image per
//! scene. Its portraits are rendered first (not timed); then the 15 scene
//! images are rendered with `candidates: 1` and with `candidates: 3`,
//! alternately on fresh copies of the drama, in the same run. The simulated
//! renderer takes 1 s per image (its work included) and makes 720 × 1280
//! PNGs; the simulated judge scores each candidate against the portraits,
//! behind a wrapper that counts its calls and can take a fixed time too
//! (`SFD_BENCH_JUDGE_MS`, default 0: the simulated judge's own time only).
//! Files go to a local folder; images render 4 nodes at a time (the
//! default), each node's candidates side by side.
//!
//! Reported: the median wall time of each, the ratio best-of-3 / best-of-1
//! (the issue's target is ≤ 1.5×), and the render and judge calls made.
//!
//! ```text
//! cargo bench -p sfd-benches --bench candidates
//! ```
//! Without `--bench` (as `cargo test --all-targets` runs it) it renders a
//! small drama with short delays, as a smoke test.

#![allow(clippy::expect_used)] // a benchmark aborts on any failure

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use sfd_core::generate::make_renderable;
use sfd_core::{
    Asset, AssetKind, Candidates, Character, Drama, Episode, JobStatus, Judge, Reference, RenderConfig, RenderRequest,
    Result, Scene, SimulatedJudge, SimulatedRenderer, Storage, StorageBuilder, StorageExt, Studio, Verdict,
};

struct Shape {
    characters: usize,
    episodes: usize,
    scenes: usize,
    image: Duration,
    judge: Duration,
    image_side: u32,
}

/// The simulated judge, counting its calls and taking `delay` over each.
#[derive(Debug)]
struct CountingJudge {
    calls: AtomicU64,
    delay: Duration,
}

#[async_trait]
impl Judge for CountingJudge {
    async fn judge(&self, prompt: &str, candidate: &Reference, references: &[Reference]) -> Result<Verdict> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        SimulatedJudge.judge(prompt, candidate, references).await
    }

    fn model(&self) -> &str {
        SimulatedJudge.model()
    }
}

fn drama(id: &str, shape: &Shape) -> Drama {
    let mut d = Drama::new(id, "Fetch the Stars", "A corgi builds a rocket.", "corgi tycoon");
    for c in 0..shape.characters {
        let mut ch = Character::new(format!("char-{c}"), format!("Hero {c}"), format!("hero number {c}"));
        ch.main = c < 2;
        d.characters.push(ch);
    }
    let mut n = 0;
    for e in 1..=shape.episodes {
        let mut ep = Episode::new(format!("ep{e}"), format!("Episode {e}"), "synopsis");
        for s in 1..=shape.scenes {
            let sid = format!("ep{e}-sc{s}");
            let mut img = Asset::new(format!("{sid}-img"), AssetKind::Image, format!("keyframe {sid}"));
            img.depends_on = (0..1 + n % 3)
                .map(|k| format!("char-{}", (n + k) % shape.characters))
                .collect();
            n += 1;
            let mut sc = Scene::new(&sid, "a scene");
            sc.assets = vec![img];
            ep.scenes.push(sc);
        }
        d.episodes.push(ep);
    }
    make_renderable(&mut d, "9:16");
    d
}

/// Renders `request` on drama `id` and waits for it to complete.
async fn render(studio: &Studio, id: &str, request: RenderRequest) {
    let job = studio.start_render(id, request).await.expect("start");
    let done = studio.jobs().wait(id, &job.job_id).await.expect("wait");
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
}

/// The scene images of `shape`'s drama, `n` candidates each.
fn scene_images(shape: &Shape, n: u32) -> RenderRequest {
    RenderRequest {
        episodes: Some((1..=shape.episodes).map(|e| format!("ep{e}")).collect()),
        kinds: Some(vec![AssetKind::Image]),
        candidates: Some(n),
        ..Default::default()
    }
}

/// What one timed render did.
struct Run {
    took: Duration,
    render_calls: usize,
    judge_calls: u64,
    images: usize,
    candidates: usize,
    rounds_over_one: usize,
}

async fn run(studio: &Studio, sim: &SimulatedRenderer, judge: &CountingJudge, shape: &Shape, id: &str, n: u32) -> Run {
    studio.storage().create_drama(&drama(id, shape)).await.expect("create");
    let characters = (0..shape.characters).map(|c| format!("char-{c}")).collect();
    let portraits = RenderRequest {
        characters: Some(characters),
        candidates: Some(1),
        ..Default::default()
    };
    render(studio, id, portraits).await;
    let (calls, judged) = (sim.calls().len(), judge.calls.load(Ordering::Relaxed));
    let t = Instant::now();
    render(studio, id, scene_images(shape, n)).await;
    let took = t.elapsed();
    let d = studio.storage().get_drama(id).await.expect("drama").value;
    let images: Vec<&Asset> = d
        .episodes
        .iter()
        .flat_map(|e| e.scenes.iter().flat_map(|s| &s.assets))
        .collect();
    assert!(images.iter().all(|a| a.url.is_some()), "every scene image rendered");
    let kept: Vec<usize> = images
        .iter()
        .map(|a| Candidates::of(a).map_or(1, |c| c.candidates.len()))
        .collect();
    Run {
        took,
        render_calls: sim.calls().len() - calls,
        judge_calls: judge.calls.load(Ordering::Relaxed) - judged,
        images: images.len(),
        candidates: kept.iter().sum(),
        rounds_over_one: kept.iter().filter(|k| **k > n as usize).count(),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

fn median(runs: &[Run]) -> Duration {
    let mut t: Vec<Duration> = runs.iter().map(|r| r.took).collect();
    t.sort();
    t[t.len() / 2]
}

fn describe(name: &str, runs: &[Run]) {
    let last = runs.last().expect("a run");
    println!(
        "{name}: median {:.3} s of {} runs {:?}; per run {} images, {} candidates kept in metadata, \
         {} render calls, {} judge calls, {} image(s) needed a second round",
        median(runs).as_secs_f64(),
        runs.len(),
        runs.iter()
            .map(|r| format!("{:.3}", r.took.as_secs_f64()))
            .collect::<Vec<_>>(),
        last.images,
        last.candidates,
        last.render_calls,
        last.judge_calls,
        last.rounds_over_one,
    );
}

async fn bench() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let judge_ms = std::env::var("SFD_BENCH_JUDGE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let shape = if measuring {
        Shape {
            characters: 5,
            episodes: 3,
            scenes: 5,
            image: Duration::from_secs(1),
            judge: Duration::from_millis(judge_ms),
            image_side: 720,
        }
    } else {
        Shape {
            characters: 2,
            episodes: 1,
            scenes: 2,
            image: Duration::from_millis(20),
            judge: Duration::from_millis(judge_ms.min(20)),
            image_side: 64,
        }
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::local(dir.path()).build().expect("local"));
    let sim = Arc::new(
        SimulatedRenderer::new()
            .with_delay(AssetKind::Image, shape.image)
            .with_image_size(shape.image_side),
    );
    let judge = Arc::new(CountingJudge {
        calls: AtomicU64::new(0),
        delay: shape.judge,
    });
    let config = RenderConfig::new()
        .with_renderer(AssetKind::Image, Arc::clone(&sim) as _)
        .with_judge(Arc::clone(&judge) as _);
    let studio = Studio::builder(Arc::clone(&storage)).with_render(config).start();
    let runs = if measuring { 3 } else { 1 };
    let (mut one, mut three) = (Vec::new(), Vec::new());
    for r in 0..runs {
        one.push(run(&studio, &sim, &judge, &shape, &format!("drama_best_of_1_{r}"), 1).await);
        three.push(run(&studio, &sim, &judge, &shape, &format!("drama_best_of_3_{r}"), 3).await);
    }
    println!(
        "candidates: {} scene images, {} ms per image call, {} ms per judge call (over the simulated judge's own), \
         {} image nodes at a time",
        shape.episodes * shape.scenes,
        shape.image.as_millis(),
        shape.judge.as_millis(),
        RenderConfig::new().concurrency(AssetKind::Image),
    );
    describe("best-of-1", &one);
    describe("best-of-3", &three);
    println!(
        "best-of-3 / best-of-1 = {:.2}x (target <= 1.5x)",
        median(&three).as_secs_f64() / median(&one).as_secs_f64()
    );
}
