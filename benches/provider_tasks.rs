//! Provider-task benchmark (issue 23): N clips against a scripted video
//! provider whose tasks take `T` each and which allows 8 at once.
//!
//! Every clip a provider returns is brought to the cut's format when it is
//! rendered (`ffprobe`, then an `ffmpeg` re-encode): a fixed CPU cost per
//! clip that does not shrink with `T`. So the scheduling rows run with the
//! provider's clips *not* normalised (the render config's `ffmpeg` points
//! nowhere, so each clip is kept as it came), and separate rows return a
//! real 5 s 720×1280 H.264 clip, normalised as in production: 16 clips at
//! 2 s per task to show the CPU it costs, and (with `PROVIDER_TASKS_FULL`)
//! 100 clips at the issue's full 20 s per task.
//!
//! - wall time of one render job against the ideal `N / 8 × T` (and the
//!   attainable `ceil(N / 8) × T`);
//! - CPU seconds per clip spent in child processes (ffprobe, ffmpeg);
//! - polls per task (first poll after T/10, backing off ×1.5, never past a
//!   tenth of the time waited);
//! - the most tasks in flight (must stay 8: the provider's limit);
//! - peak RSS for N = 100 and N = 400 clips, and for one 400-clip drama
//!   with 100 against 400 clips waiting at once (`SFD_RENDER_CONCURRENCY`):
//!   the same document, so the difference is what a waiting task costs.
//!
//! ```text
//! cargo bench -p sfd-benches --bench provider_tasks
//! PROVIDER_TASKS_FULL=1 cargo bench -p sfd-benches --bench provider_tasks   # adds the 20 s row
//! ```
//! Without `--bench` (as `cargo test --all-targets` runs it) it renders 16
//! clips of 20 ms as a smoke test.

#![allow(clippy::expect_used)] // a benchmark aborts on any failure

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Value, json};
use sfd_benches::peak_rss_kib;
use sfd_core::{
    Asset, AssetKind, Drama, Episode, JobStatus, Media, MediaRequest, MediaType, MediaUsage, RenderConfig,
    RenderRequest, Renderer, RunnerConfig, Scene, SimulatedRenderer, StorageBuilder, StorageExt, Studio, TaskApi,
    TaskRenderer, TaskState, VideoPolling,
};

const MP4: &[u8] = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41 scripted";
const LIMIT: usize = 8;

/// A provider whose every task takes `task` from its create call.
#[derive(Debug)]
struct Scripted {
    task: Duration,
    clip: Bytes,
    started: Mutex<HashMap<String, Instant>>,
    polls: AtomicUsize,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

#[async_trait]
impl TaskApi for Scripted {
    fn provider(&self) -> &str {
        "scripted"
    }
    fn model(&self) -> &str {
        "scripted-20s"
    }
    async fn create(&self, request: &MediaRequest, _key: &str) -> sfd_core::Result<String> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let id = format!("t-{}", request.label);
        self.started.lock().expect("lock").insert(id.clone(), Instant::now());
        Ok(id)
    }
    async fn poll(&self, id: &str) -> sfd_core::Result<TaskState> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        let since = self.started.lock().expect("lock")[id].elapsed();
        Ok(if since >= self.task {
            TaskState::Succeeded(json!({}))
        } else {
            TaskState::Running
        })
    }
    async fn fetch(&self, _id: &str, _answer: &Value) -> sfd_core::Result<Media> {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(Media {
            bytes: self.clip.clone(),
            media_type: MediaType::Mp4,
            usage: MediaUsage {
                calls: 1,
                ..Default::default()
            },
            provider: "scripted".into(),
            model: "scripted-20s".into(),
            speech: None,
        })
    }
}

fn drama(id: &str, clips: usize) -> Drama {
    let mut d = Drama::new(id, "Clips", "x", "x");
    // 10 scenes an episode, one clip a scene.
    for e in 0..clips.div_ceil(10) {
        let mut ep = Episode::new(format!("ep{e}"), "Episode", "x");
        for s in 0..10.min(clips - e * 10) {
            let sid = format!("ep{e}-sc{s}");
            let mut sc = Scene::new(&sid, "x");
            let mut vid = Asset::new(format!("{sid}-vid"), AssetKind::Video, format!("clip {sid}"));
            vid.duration = Some(5);
            sc.assets.push(vid);
            ep.scenes.push(sc);
        }
        d.episodes.push(ep);
    }
    d
}

struct Run {
    wall: Duration,
    child_cpu: Duration,
    polls_per_task: f64,
    peak_in_flight: usize,
    peak_rss_kib: u64,
}

/// Renders a drama of `clips` clips, `waiting` of them at once in the job
/// (each waiting for a place under the provider's limit, or polling).
/// With `clip` `None` the provider sends a few bytes no tool reads and
/// clips are not normalised; with `Some`, that file, normalised.
async fn run(clips: usize, waiting: usize, task: Duration, clip: Option<&Bytes>) -> Run {
    let api = Arc::new(Scripted {
        task,
        clip: clip.cloned().unwrap_or_else(|| Bytes::from_static(MP4)),
        started: Mutex::default(),
        polls: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    let polling = VideoPolling {
        first: task / 10,
        max_interval: task * 3 / 4,
        timeout: task * 100,
    };
    let video: Arc<dyn Renderer> =
        Arc::new(TaskRenderer::new(Arc::clone(&api) as Arc<dyn TaskApi>, LIMIT).with_polling(polling));
    // Each shot gains a keyframe; the simulator draws it, the scripted provider makes the clip.
    let mut config = RenderConfig::new();
    if clip.is_none() {
        config = config.with_ffmpeg("/nonexistent/ffmpeg");
    }
    let config = config
        .with_renderer(AssetKind::Image, Arc::new(SimulatedRenderer::new()))
        .with_renderer(AssetKind::Video, video)
        .with_concurrency(AssetKind::Video, waiting);
    let storage = Arc::new(StorageBuilder::memory().build().expect("memory"));
    let id = format!("drama_bench{clips}");
    storage.create_drama(&drama(&id, clips)).await.expect("drama");
    let studio = Studio::builder(storage)
        .with_render(config)
        .with_runner_config(RunnerConfig {
            poll_interval: Duration::from_millis(5),
            ..Default::default()
        })
        .start();
    let request = RenderRequest {
        kinds: Some(vec![AssetKind::Video]),
        ..Default::default()
    };
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let cpu = children_cpu();
    let start = Instant::now();
    let job = studio.start_render(&id, request).await.expect("start");
    let done = studio.jobs().wait(&id, &job.job_id).await.expect("wait");
    let wall = start.elapsed();
    let child_cpu = children_cpu().saturating_sub(cpu);
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    Run {
        wall,
        child_cpu,
        polls_per_task: api.polls.load(Ordering::SeqCst) as f64 / clips as f64,
        peak_in_flight: api.peak.load(Ordering::SeqCst),
        peak_rss_kib: peak_rss_kib(),
    }
}

/// CPU time (user + system) of this process's ended children
/// (`/proc/self/stat` fields 16 and 17, in clock ticks of 1/100 s).
fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which ends with the last ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(13) // rest starts at field 3; fields 16, 17
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// A 5 s 720×1280 H.264 clip at 30 fps with sound, as a provider sends.
fn provider_clip() -> Bytes {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("clip.mp4");
    let ok = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=720x1280:r=30:d=5"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=5"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
        ])
        .arg(&path)
        .status()
        .expect("ffmpeg runs")
        .success();
    assert!(ok, "ffmpeg made the provider's clip");
    Bytes::from(std::fs::read(&path).expect("the clip"))
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let ms = Duration::from_millis;
    let full = std::env::var_os("PROVIDER_TASKS_FULL").is_some();
    // (clips, waiting at once, T, clips normalised)
    let mut sizes: Vec<(usize, usize, Duration, bool)> = if bench {
        vec![
            (100, 100, ms(2000), false),
            // Where the time goes once clips are normalised: 16 real clips.
            (16, 16, ms(2000), true),
            (100, 100, ms(200), false),
            (400, 400, ms(200), false),
            (400, 100, ms(200), false),
            (400, 400, ms(200), false),
        ]
    } else {
        vec![(16, 16, ms(20), false)]
    };
    if bench && full {
        // The issue's own figure: 20 s per task, clips normalised (~4 min 20 s).
        sizes.insert(0, (100, 100, ms(20_000), true));
    }
    let clip = sizes.iter().any(|s| s.3).then(provider_clip);
    for (clips, waiting, task, normalised) in sizes {
        let given = if normalised { clip.as_ref() } else { None };
        let r = rt.block_on(run(clips, waiting, task, given));
        let ideal = task.mul_f64(clips as f64 / LIMIT as f64);
        let attainable = task * clips.div_ceil(LIMIT) as u32;
        println!(
            "provider_tasks/{clips} clips ({waiting} waiting at once) × {} ms, limit {LIMIT}, {}: wall {:.3} s; ideal {:.3} s (ratio {:.3}); \
             attainable {:.3} s (ratio {:.3}); {:.1} polls/task; child CPU {:.3} s/clip; peak in flight {}; peak RSS {} KiB",
            task.as_millis(),
            if normalised {
                "real clips normalised"
            } else {
                "not normalised"
            },
            r.wall.as_secs_f64(),
            ideal.as_secs_f64(),
            r.wall.as_secs_f64() / ideal.as_secs_f64(),
            attainable.as_secs_f64(),
            r.wall.as_secs_f64() / attainable.as_secs_f64(),
            r.polls_per_task,
            r.child_cpu.as_secs_f64() / clips as f64,
            r.peak_in_flight,
            r.peak_rss_kib
        );
        assert!(r.peak_in_flight <= LIMIT, "the provider's limit was passed");
    }
}
