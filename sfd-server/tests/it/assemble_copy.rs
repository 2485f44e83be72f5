//! Assembly does not re-encode the picture when it need not: with
//! subtitles as a track the cut's video packets are the rendered clips'
//! packets, byte for byte and in shot order; burned subtitles must change
//! the picture, so there it is encoded again. The video lasts exactly its
//! shots' frames.
//!
//! Packets are compared with ffmpeg's `framemd5` muxer, which prints one
//! MD5 per packet; with `-c copy` those are the stored packets themselves
//! (<https://ffmpeg.org/ffmpeg-formats.html#framemd5>).

use std::path::{Path, PathBuf};
use std::process::Command;

use sfd_client::{AssembleRequest, Asset, AssetKind, Character, Drama, Episode, Scene, SubtitleMode};

use crate::assemble::{assemble, rendered_drama};
use crate::harness::{Options, TestServer};
use crate::media::{Held, render_with};

/// Frames per second of the simulated clips and of the cut.
const RATE: f64 = 30.0;

/// One episode of two scenes with two and three shots of no set length,
/// each with two lines of different lengths.
fn drama(id: &str) -> Drama {
    let mut d = Drama::new(id, "Rocket Corgi", "A dog, a rocket.", "corgi tycoon");
    for (cid, name) in [("char-ava", "Ava"), ("char-max", "Max")] {
        d.characters
            .push(Character::new(cid, name, format!("{name}, in a red jacket")));
    }
    let mut ep = Episode::new("ep1", "Liftoff", "The first launch.");
    let scenes = [
        (2, ["Ready?", "The countdown begins right now, so hold on tight."]),
        (3, ["Max, the tower says we are clear to fly.", "Then we fly."]),
    ];
    for (n, (shots, lines)) in scenes.iter().enumerate() {
        let sid = format!("ep1-sc{}", n + 1);
        let mut sc = Scene::new(&sid, format!("Scene {}: the launch pad at dawn.", n + 1));
        for k in 1..=*shots {
            let img = Asset::new(format!("{sid}-sh{k}-img"), AssetKind::Image, format!("keyframe {k}"));
            let mut vid = Asset::new(format!("{sid}-sh{k}-vid"), AssetKind::Video, format!("clip {k}"));
            vid.depends_on = vec![img.id.clone()];
            sc.assets.extend([img, vid]);
        }
        for (k, text) in lines.iter().enumerate() {
            let mut line = Asset::new(format!("{sid}-ln{}", k + 1), AssetKind::Audio, *text);
            line.depends_on = vec![if k == 0 { "char-ava" } else { "char-max" }.to_string()];
            sc.assets.push(line);
        }
        ep.scenes.push(sc);
    }
    d.episodes.push(ep);
    d
}

async fn download_as(s: &TestServer, url: &str, path: PathBuf) -> PathBuf {
    let mut bytes = Vec::new();
    s.client.download_media(url, &mut bytes).await.unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The (size, MD5) of every video packet of `file`, in order, copied
/// without decoding. The H.264 parameter sets (SPS, PPS: NAL types 7 and 8)
/// are left out: the concat demuxer's `auto_convert` (on by default) puts
/// them in front of each clip's first keyframe so clips with different
/// settings still concatenate
/// (<https://ffmpeg.org/ffmpeg-formats.html#concat-1>), and the
/// `filter_units` bitstream filter drops them from both sides
/// (<https://ffmpeg.org/ffmpeg-bitstream-filters.html#filter_005funits>).
fn video_packets(file: &Path) -> Vec<(u64, String)> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-map", "0:v:0", "-c", "copy", "-bsf:v", "filter_units=remove_types=7|8"])
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // `stream_index, dts, pts, duration, size, hash`; `#` lines are headers.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[4].parse().unwrap(), f[5].to_string())
        })
        .collect()
}

/// One `-show_entries` value of the first stream `select` picks.
fn probe_stream(file: &Path, select: &str, entry: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", select, "-show_entries", entry])
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn with_a_subtitle_track_the_cut_copies_the_clips_packets_and_burning_encodes_them() {
    let s = TestServer::with(Options {
        render: render_with(Held::new(|_| false)),
        ..Default::default()
    })
    .await;
    let d = rendered_drama(&s, drama("drama_copy1")).await;
    let dir = tempfile::tempdir().unwrap();
    // The clips in shot order, and their packets one after another.
    let (mut clips, mut frames, mut shots) = (Vec::new(), 0u64, 0usize);
    for scene in &d.episodes[0].scenes {
        for shot in scene.shots() {
            let url = shot.video.url.clone().unwrap();
            let clip = download_as(&s, &url, dir.path().join(format!("{}.mp4", shot.video.id))).await;
            let packets = video_packets(&clip);
            // Each clip was made once in the cut's format, exactly its shot's length.
            assert_eq!(
                packets.len() as u64,
                shot.duration().unwrap() as u64 * RATE as u64,
                "{url}"
            );
            frames += packets.len() as u64;
            shots += 1;
            clips.extend(packets);
        }
    }
    assert_eq!(shots, 5);

    let cut = assemble(&s, "drama_copy1", AssembleRequest::default()).await;
    assert_eq!((cut.frames as u64, cut.rate), (frames, RATE as u32), "{cut:?}");
    let track = download_as(&s, &cut.url, dir.path().join("track.mp4")).await;
    assert_eq!(probe_stream(&track, "s", "stream=codec_name"), "mov_text");
    let copied = video_packets(&track);
    assert_eq!(copied.len(), clips.len());
    let differ = copied.iter().zip(&clips).filter(|(a, b)| a != b).count();
    assert_eq!(
        differ,
        0,
        "{differ} of {} video packets were encoded again",
        clips.len()
    );
    // The picture lasts exactly its shots' frames (the issue allows one
    // frame per shot).
    let video: f64 = probe_stream(&track, "v:0", "stream=duration").parse().unwrap();
    let expected = frames as f64 / RATE;
    assert!((video - expected).abs() < 1e-3, "video {video} s, shots {expected} s");
    // The file as a whole is cut to the same length (`-t`); AAC works in
    // frames of 1024 samples, so the sound may end up to one of those
    // (21.3 ms at 48 kHz) later.
    let whole: f64 = probe_stream(&track, "a:0", "format=duration").parse().unwrap();
    assert!(
        whole >= expected - 0.5 / RATE && whole - expected <= 1024.0 / 48_000.0 + 1e-3,
        "file {whole} s, shots {expected} s"
    );

    // Burned subtitles change pixels: the same number of frames, encoded again.
    let burn = AssembleRequest {
        subtitles: SubtitleMode::Burn,
        ..Default::default()
    };
    let cut = assemble(&s, "drama_copy1", burn).await;
    let burned = download_as(&s, &cut.url, dir.path().join("burned.mp4")).await;
    let encoded = video_packets(&burned);
    assert_eq!(encoded.len(), clips.len());
    let same = encoded.iter().zip(&clips).filter(|(a, b)| a == b).count();
    assert!(
        same < clips.len() / 2,
        "{same} of {} burned packets are the clips'",
        clips.len()
    );
    assert_eq!(probe_stream(&burned, "s", "stream=codec_name"), "");
}
