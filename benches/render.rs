//! Render benchmark (issue 11).
//!
//! A drama of 5 characters and 3 episodes × 5 scenes: a portrait per
//! character, an image and a video per scene, and a cover. The simulated
//! renderer takes 1 s per image and 3 s per video (its work included), and
//! makes 720 × 1280 PNGs. Files go to a local folder.
//!
//! - graph: `Studio::start_render`, every node started as soon as its inputs
//!   are saved; compared with the critical path (portrait → scene image →
//!   video = 5 s);
//! - baseline: the same nodes rendered one after another (the sum of all
//!   calls), each saved the same way, in the same run;
//! - peak RSS while each runs (`/proc/self/clear_refs` resets the peak).
//!
//! ```text
//! cargo bench -p sfd-benches --bench render
//! ```
//! Without `--bench` (as `cargo test --all-targets` runs it) it renders a
//! small drama with short delays, as a smoke test.

#![allow(clippy::expect_used)] // a benchmark aborts on any failure

use sfd_benches::{peak_rss_kib, status_kib};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sfd_core::generate::make_renderable;
use sfd_core::{
    AspectRatio, Asset, AssetKind, Character, Drama, Episode, JobStatus, MediaKey, MediaRequest, MediaStoreExt,
    Reference, RenderConfig, RenderRequest, Renderer, RunnerConfig, Scene, SimulatedRenderer, Storage, StorageBuilder,
    StorageExt, Studio, plan_render,
};

struct Shape {
    characters: usize,
    episodes: usize,
    scenes: usize,
    image: Duration,
    video: Duration,
    image_side: u32,
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
            let mut vid = Asset::new(format!("{sid}-vid"), AssetKind::Video, format!("clip {sid}"));
            vid.depends_on = vec![img.id.clone()];
            vid.duration = Some(4);
            let mut sc = Scene::new(&sid, "a scene");
            sc.assets = vec![img, vid];
            ep.scenes.push(sc);
        }
        d.episodes.push(ep);
    }
    make_renderable(&mut d, "9:16");
    d
}

/// Resets the kernel's peak-RSS mark of this process.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The longest chain of call times through the graph.
fn critical_path(d: &Drama, config: &RenderConfig, shape: &Shape) -> Duration {
    let plan = plan_render(d, &RenderRequest::all(), config).expect("plan");
    let mut finish: std::collections::HashMap<&str, Duration> = Default::default();
    for n in &plan.nodes {
        let own = if n.kind == AssetKind::Video {
            shape.video
        } else {
            shape.image
        };
        let start = n
            .depends_on
            .iter()
            .map(|d| finish[d.as_str()])
            .max()
            .unwrap_or_default();
        finish.insert(&n.asset_id, start + own);
    }
    finish.values().copied().max().unwrap_or_default()
}

/// Every node one after another, in plan order, each stored and saved.
async fn one_after_another(storage: &Arc<dyn Storage>, renderer: &Arc<dyn Renderer>, id: &str, config: &RenderConfig) {
    let media = storage.media().expect("media");
    let start = storage.get_drama(id).await.expect("drama").value;
    let plan = plan_render(&start, &RenderRequest::all(), config).expect("plan");
    for n in &plan.nodes {
        let d = storage.get_drama(id).await.expect("drama").value;
        let mut all: Vec<&Asset> = d.characters.iter().flat_map(|c| &c.assets).collect();
        all.extend(&d.assets);
        all.extend(d.episodes.iter().flat_map(|e| e.scenes.iter().flat_map(|s| &s.assets)));
        let asset = all.iter().find(|a| a.id == n.asset_id).expect("asset");
        let mut references = Vec::new();
        for dep in &n.depends_on {
            let url = all
                .iter()
                .find(|a| &a.id == dep)
                .and_then(|a| a.url.clone())
                .expect("input");
            let key = MediaKey::from_url(&url).expect("key");
            references.push(Reference {
                name: dep.clone(),
                media_type: key.media_type(),
                bytes: media.read_media_bytes(&key).await.expect("read"),
            });
        }
        let mut req = MediaRequest::new(n.kind, &asset.prompt, AspectRatio::PORTRAIT);
        req.label = n.asset_id.clone();
        req.references = references;
        req.duration = asset.duration.map(|s| s as u32);
        let made = renderer.render(req).await.expect("render");
        let info = media
            .store_media(id, &n.asset_id, made.media_type, made.bytes)
            .await
            .expect("store");
        let url = info.key.url(None);
        storage
            .modify_drama(id, None, |d| {
                if let Some(a) = d.assets_mut().find(|a| a.id == n.asset_id) {
                    a.url = Some(url.clone());
                }
                Ok(())
            })
            .await
            .expect("save");
    }
}

/// When each level's last node was saved, from `metadata.render.renderedAt`.
async fn print_timeline(studio: &Studio, d: &Drama) {
    let jobs = studio.jobs().list(&d.id).await.expect("jobs");
    let job = jobs.last().expect("job");
    let started = job.started_at.unwrap_or(job.created_at);
    let mut last = [0u64; 3];
    let mut all: Vec<&Asset> = d.characters.iter().flat_map(|c| &c.assets).collect();
    all.extend(&d.assets);
    all.extend(d.episodes.iter().flat_map(|e| e.scenes.iter().flat_map(|s| &s.assets)));
    for a in all {
        let at = sfd_core::RenderRecord::of(a).map(|r| r.rendered_at).unwrap_or(0);
        let level = if a.id.ends_with("-portrait") {
            0
        } else if a.kind == AssetKind::Image {
            1
        } else {
            2
        };
        last[level] = last[level].max(at.saturating_sub(started));
    }
    println!(
        "  queued -> started {} ms; last portrait {} ms, last image {} ms, last video {} ms after the start; finished {} ms",
        started - job.created_at,
        last[0],
        last[1],
        last[2],
        job.completed_at.unwrap_or(0).saturating_sub(started)
    );
}

/// The time `f` takes and the growth of RSS while it runs: peak (VmHWM,
/// reset first, and sampled) minus RSS at the start, in KiB.
async fn measured<F: std::future::Future<Output = ()>>(f: F) -> (Duration, u64) {
    reset_peak();
    let before = status_kib("VmRSS:");
    let stop = Arc::new(AtomicBool::new(false));
    let max = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, max) = (Arc::clone(&stop), Arc::clone(&max));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                max.fetch_max(peak_rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let t = Instant::now();
    f.await;
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    (
        took,
        max.load(Ordering::Relaxed).max(peak_rss_kib()).saturating_sub(before),
    )
}

fn start(storage: &Arc<dyn Storage>, config: RenderConfig) -> Studio {
    Studio::builder(Arc::clone(storage))
        .with_render(config)
        .with_runner_config(RunnerConfig {
            poll_interval: Duration::from_millis(200),
            progress_interval: Duration::from_millis(200),
            ..Default::default()
        })
        .start()
}

/// Renders `d` with `studio` and returns the time and RSS growth.
async fn render(studio: &Studio, d: Drama) -> (Duration, u64) {
    let id = d.id.clone();
    studio.storage().create_drama(&d).await.expect("create");
    measured(async {
        let job = studio.start_render(&id, RenderRequest::all()).await.expect("start");
        let done = studio.jobs().wait(&id, &job.job_id).await.expect("wait");
        assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    })
    .await
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let shape = if measuring {
        Shape {
            characters: 5,
            episodes: 3,
            scenes: 5,
            image: Duration::from_secs(1),
            video: Duration::from_secs(3),
            image_side: 720,
        }
    } else {
        Shape {
            characters: 2,
            episodes: 1,
            scenes: 2,
            image: Duration::from_millis(20),
            video: Duration::from_millis(60),
            image_side: 64,
        }
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::local(dir.path()).build().expect("local"));
    let sim: Arc<dyn Renderer> = Arc::new(
        SimulatedRenderer::new()
            .with_delay(AssetKind::Image, shape.image)
            .with_delay(AssetKind::Video, shape.video)
            .with_image_size(shape.image_side),
    );
    let config = RenderConfig::new()
        .with_renderer(AssetKind::Image, Arc::clone(&sim))
        .with_renderer(AssetKind::Video, Arc::clone(&sim))
        .with_concurrency(AssetKind::Image, 32)
        .with_concurrency(AssetKind::Video, 32);
    let studio = start(&storage, config.clone());
    let sample = drama("drama_render_graph", &shape);
    let nodes = plan_render(&sample, &RenderRequest::all(), &config)
        .expect("plan")
        .nodes
        .len();
    let critical = critical_path(&sample, &config, &shape);
    let runs = if measuring { 3 } else { 1 };
    let mut times = Vec::new();
    let mut peaks = Vec::new();
    for run in 0..runs {
        let id = format!("drama_render_graph{run}");
        let (took, peak) = render(&studio, drama(&id, &shape)).await;
        let d = storage.get_drama(&id).await.expect("drama").value;
        assert!(d.episodes.iter().flat_map(|e| &e.scenes).all(|s| s.video_url.is_some()));
        print_timeline(&studio, &d).await;
        times.push(took);
        peaks.push(peak);
    }
    times.sort();
    let graph = times[times.len() / 2];
    // `SFD_BENCH_GRAPH_ONLY=1` skips the minute-long baseline while tuning.
    let (sequential, seq_peak) = if std::env::var_os("SFD_BENCH_GRAPH_ONLY").is_some() {
        (Duration::ZERO, 0)
    } else {
        storage
            .create_drama(&drama("drama_render_seq", &shape))
            .await
            .expect("create");
        measured(one_after_another(&storage, &sim, "drama_render_seq", &config)).await
    };
    let drama_bytes: u64 = storage
        .media()
        .expect("media")
        .list_media()
        .await
        .expect("list")
        .iter()
        .map(|m| m.size)
        .sum();
    println!("render: {nodes} nodes; critical path {:.2} s", critical.as_secs_f64());
    println!(
        "render graph: median {:.3} s of {runs} runs ({:+.1}% over the critical path); runs {:?}",
        graph.as_secs_f64(),
        (graph.as_secs_f64() / critical.as_secs_f64() - 1.0) * 100.0,
        times
            .iter()
            .map(|t| format!("{:.3}", t.as_secs_f64()))
            .collect::<Vec<_>>()
    );
    println!(
        "baseline one after another: {:.3} s ({:.1}x the graph)",
        sequential.as_secs_f64(),
        sequential.as_secs_f64() / graph.as_secs_f64()
    );
    // Bounded concurrency: twice the scenes, the same memory.
    let bounded = AssetKind::ALL
        .iter()
        .fold(config.clone(), |c, k| c.with_concurrency(*k, 4));
    let studio4 = start(&storage, bounded);
    let twice = Shape {
        episodes: shape.episodes * 2,
        ..shape
    };
    let (t1, m1) = render(&studio4, drama("drama_render_c4a", &shape)).await;
    let (t2, m2) = render(&studio4, drama("drama_render_c4b", &twice)).await;
    println!(
        "at 4 calls per kind: {} scenes in {:.2} s, RSS growth {m1} KiB; {} scenes in {:.2} s, RSS growth {m2} KiB",
        shape.episodes * shape.scenes,
        t1.as_secs_f64(),
        twice.episodes * twice.scenes,
        t2.as_secs_f64()
    );
    println!(
        "RSS growth while rendering (peak minus start): graph {peaks:?} KiB, one after another {seq_peak} KiB; \
         each drama writes {:.1} MiB in {} files; process RSS now {} KiB",
        drama_bytes as f64 / (1024.0 * 1024.0) / (runs as f64 + 1.0),
        nodes,
        status_kib("VmRSS:")
    );
}
