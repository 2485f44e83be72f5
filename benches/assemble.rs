//! Episode assembly benchmark (issues 16 and 25).
//!
//! One episode of 5 scenes, each of 3 shots and two spoken lines, rendered
//! once into a local folder (lines first, shots as long as the speech, each
//! clip brought to the cut's format when rendered). Then, in the same run
//! (each assembly followed by a floor run, so both see the same load):
//!
//! - assembly: `Studio::start_assembly` to the end of its job (subtitle
//!   track, lines at their times, picture stream-copied, one 9:16
//!   H.264/AAC MP4, stored);
//! - baseline: `ffmpeg -f concat -c copy` of the same 15 clips, the
//!   cheapest possible join (no re-encode, no audio mix, no subtitles);
//! - baseline: the same concat re-encoded to the cut's format.
//!
//! ```text
//! cargo bench -p sfd-benches --bench assemble
//! ```
//! Without `--bench` (as `cargo test --all-targets` runs it) it assembles
//! 2 scenes of 1 s, as a smoke test.

#![allow(clippy::expect_used)] // a benchmark aborts on any failure

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use sfd_core::{
    AssembleRequest, Asset, AssetKind, Character, Drama, Episode, JobStatus, RenderConfig, RenderRequest, RunnerConfig,
    Scene, StorageBuilder, StorageExt, Studio,
};

/// `scenes` scenes of 3 shots each (their lengths set by the render from
/// the speech) and two lines of about `words` words.
fn drama(scenes: usize, words: usize) -> Drama {
    let mut d = Drama::new("bench_cut", "Rocket Corgi", "A dog, a rocket.", "corgi tycoon");
    d.characters
        .push(Character::new("char-ava", "Ava", "Ava, in a red jacket"));
    let mut ep = Episode::new("ep1", "Liftoff", "The first launch.");
    for n in 1..=scenes {
        let sid = format!("ep1-sc{n}");
        let mut sc = Scene::new(&sid, format!("Scene {n}: the launch pad."));
        for shot in 1..=3 {
            let img = Asset::new(
                format!("{sid}-sh{shot}-img"),
                AssetKind::Image,
                format!("keyframe {n}.{shot}"),
            );
            let mut vid = Asset::new(
                format!("{sid}-sh{shot}-vid"),
                AssetKind::Video,
                format!("clip {n}.{shot}"),
            );
            vid.depends_on = vec![img.id.clone()];
            sc.assets.push(img);
            sc.assets.push(vid);
        }
        for line in 1..=2 {
            let text: Vec<String> = (0..words).map(|w| format!("word{n}{line}{w}")).collect();
            let mut aud = Asset::new(format!("{sid}-ln{line}"), AssetKind::Audio, text.join(" "));
            aud.depends_on = vec!["char-ava".into()];
            sc.assets.push(aud);
        }
        ep.scenes.push(sc);
    }
    d.episodes.push(ep);
    d
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn timed(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

async fn save_clips(studio: &Studio, d: &Drama, dir: &Path) -> String {
    let mut list = String::new();
    for (i, sc) in d.episodes[0].scenes.iter().enumerate() {
        for (j, shot) in sc.shots().iter().enumerate() {
            let url = shot.video.url.as_deref().expect("rendered clip");
            let key = url.trim_start_matches("/media/");
            let read = studio.read_media(key, None).await.expect("clip");
            let bytes: Vec<u8> = read.body.map_ok(|b| b.to_vec()).try_concat().await.expect("clip bytes");
            let path = dir.join(format!("clip{i}-{j}.mp4"));
            std::fs::write(&path, bytes).expect("write clip");
            list.push_str(&format!("file '{}'\n", path.display()));
        }
    }
    list
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (scenes, words, runs) = if full { (5, 10, 5) } else { (2, 2, 1) };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("store");
    rt.block_on(async {
        let storage = Arc::new(
            StorageBuilder::from_url(root.to_str().expect("utf-8 path"))
                .expect("url")
                .build()
                .expect("storage"),
        );
        let studio = Studio::builder(storage.clone())
            .with_render(RenderConfig::simulated())
            .with_runner_config(RunnerConfig::default())
            .start();
        let d = drama(scenes, words);
        storage.create_drama(&d).await.expect("create");
        let job = studio.start_render(&d.id, RenderRequest::all()).await.expect("render");
        let done = studio.jobs().wait(&d.id, &job.job_id).await.expect("wait");
        assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
        let d = storage.get_drama(&d.id).await.expect("get").value;
        let list = dir.path().join("list.txt");
        std::fs::write(&list, save_clips(&studio, &d, dir.path()).await).expect("list");
        let probe = Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
            .arg(dir.path().join("clip0-0.mp4"))
            .output()
            .expect("ffprobe runs");
        println!("each clip: {} s", String::from_utf8_lossy(&probe.stdout).trim());

        let list = list.to_str().expect("utf-8 path");
        let out = dir.path().join("concat.mp4");
        let out = out.to_str().expect("utf-8 path");
        // Each assembly is followed by its floor, so both see the same load
        // on a shared machine.
        let (mut assembly, mut copy) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let t = Instant::now();
            let job = studio
                .start_assembly(&d.id, "ep1", AssembleRequest::default())
                .await
                .expect("assemble");
            let done = studio.jobs().wait(&d.id, &job.job_id).await.expect("wait");
            assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
            assembly.push(t.elapsed());
            copy.push(timed(1, || {
                ffmpeg(&["-f", "concat", "-safe", "0", "-i", list, "-c", "copy", out])
            }));
        }
        let (assembly, copy) = (median(assembly), median(copy));
        let encode = timed(runs, || {
            let args = "-vf scale=720:1280,fps=30 -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p \
                        -c:a aac -movflags +faststart";
            let mut all = vec!["-f", "concat", "-safe", "0", "-i", list];
            all.extend(args.split_whitespace());
            all.push(out);
            ffmpeg(&all)
        });
        let cut = d.episodes[0]
            .scenes
            .iter()
            .flat_map(|s| s.shots())
            .filter_map(|s| s.duration())
            .sum::<i64>();
        println!("episode of {scenes} scenes × 3 shots, {cut} s, median of {runs} runs");
        println!("assembly (job, speech, subtitle track, stored):  {assembly:?}");
        println!(
            "baseline: ffmpeg concat, stream copy:            {copy:?}  (assembly = {:.1}×)",
            assembly.as_secs_f64() / copy.as_secs_f64()
        );
        println!(
            "baseline: ffmpeg concat re-encoded to the cut:    {encode:?}  (assembly = {:.2}×)",
            assembly.as_secs_f64() / encode.as_secs_f64()
        );
        studio.shutdown().await;
    });
}
