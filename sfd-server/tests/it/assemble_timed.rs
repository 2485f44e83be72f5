//! A drama that plays, end to end with the simulated renderer and the real
//! ffmpeg: shots as long as their scene's speech, every line at its time,
//! subtitles inside their lines' sound, and music ducked under speech.

use std::path::Path;
use std::process::Command;

use sfd_client::{AssembleRequest, Asset, AssetKind, AssetOwner, Character, Drama, Episode, Scene};

use crate::assemble::{assemble, cue_times, download, probe, rendered_drama};
use crate::harness::{Options, TestServer};
use crate::media::{Held, render_with};

/// The music's pitch: far above the simulated voices (180 to 690 Hz), so a
/// band-pass hears only the music.
const MUSIC_HZ: u32 = 2000;

/// One episode of two scenes, each with two shots of no set length and
/// two lines of different lengths, and an episode music asset.
fn drama(id: &str) -> Drama {
    let mut d = Drama::new(id, "Rocket Corgi", "A dog, a rocket.", "corgi tycoon");
    for (cid, name) in [("char-ava", "Ava"), ("char-max", "Max")] {
        d.characters
            .push(Character::new(cid, name, format!("{name}, in a red jacket")));
    }
    let mut ep = Episode::new("ep1", "Liftoff", "The first launch.");
    let lines = [
        [
            "Ready?",
            "The rocket is fueled and the countdown begins right now, so hold on tight.",
        ],
        ["Max, the tower says we are clear.", "Then we fly."],
    ];
    for (n, texts) in lines.iter().enumerate() {
        let sid = format!("ep1-sc{}", n + 1);
        let mut sc = Scene::new(&sid, format!("Scene {}: the launch pad at dawn.", n + 1));
        for shot in 1..=2 {
            let img = Asset::new(
                format!("{sid}-sh{shot}-img"),
                AssetKind::Image,
                format!("keyframe {shot}"),
            );
            let mut vid = Asset::new(format!("{sid}-sh{shot}-vid"), AssetKind::Video, format!("clip {shot}"));
            vid.depends_on = vec![img.id.clone()];
            sc.assets.push(img);
            sc.assets.push(vid);
        }
        for (k, text) in texts.iter().enumerate() {
            let mut line = Asset::new(format!("{sid}-ln{}", k + 1), AssetKind::Audio, *text);
            line.depends_on = vec![if k == 0 { "char-ava" } else { "char-max" }.to_string()];
            sc.assets.push(line);
        }
        ep.scenes.push(sc);
    }
    ep.assets
        .push(Asset::new("ep1-music", AssetKind::Audio, "tense strings"));
    d.episodes.push(ep);
    d
}

fn ffmpeg(args: &[&str]) -> String {
    let out = Command::new("ffmpeg").args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The RMS level (dB) of the music band of `cut` from `from` to `to` seconds.
fn music_level(cut: &Path, from: f64, to: f64) -> f64 {
    let filter = format!(
        "atrim=start={from:.3}:end={to:.3},bandpass=f={MUSIC_HZ}:width_type=q:w=4,bandpass=f={MUSIC_HZ}:width_type=q:w=4,\
         astats=measure_overall=RMS_level:measure_perchannel=none"
    );
    let log = ffmpeg(&[
        "-hide_banner",
        "-i",
        cut.to_str().unwrap(),
        "-map",
        "0:a",
        "-af",
        &filter,
        "-f",
        "null",
        "-",
    ]);
    log.lines()
        .find_map(|l| l.split("RMS level dB:").nth(1))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(-200.0)
}

/// The intervals where the voices (below 1 kHz) are heard in `cut`.
fn voiced(cut: &Path) -> Vec<(f64, f64)> {
    let log = ffmpeg(&[
        "-hide_banner",
        "-i",
        cut.to_str().unwrap(),
        "-map",
        "0:a",
        "-af",
        "lowpass=f=900,lowpass=f=900,silencedetect=noise=-40dB:d=0.1",
        "-f",
        "null",
        "-",
    ]);
    let value = |l: &str, key: &str| {
        l.split(key)
            .nth(1)
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
    };
    let (mut out, mut at) = (Vec::new(), 0.0);
    for l in log.lines() {
        if let Some(s) = value(l, "silence_start: ") {
            if s > at + 0.05 {
                out.push((at, s));
            }
        } else if let Some(e) = value(l, "silence_end: ") {
            at = e;
        }
    }
    out
}

#[tokio::test]
async fn a_cut_lasts_its_speech_with_lines_at_their_times_and_music_ducked_under_them() {
    let s = TestServer::with(Options {
        render: render_with(Held::new(|_| false)),
        ..Default::default()
    })
    .await;
    let d = rendered_drama(&s, drama("drama_timed")).await;
    let dir = tempfile::tempdir().unwrap();
    // The music: a steady tone, uploaded over the simulated one.
    let music = dir.path().join("music.wav");
    ffmpeg(&[
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency={MUSIC_HZ}:duration=3:sample_rate=48000"),
        music.to_str().unwrap(),
    ]);
    s.client
        .upload_asset_content(
            "drama_timed",
            &AssetOwner::Episode("ep1".into()),
            "ep1-music",
            "audio/wav",
            std::fs::read(&music).unwrap(),
        )
        .await
        .unwrap();
    // Each scene lasts its speech and at most 2 s of pauses.
    let mut expected = 0.0;
    let mut shots = 0;
    for scene in &d.episodes[0].scenes {
        let mut speech = 0.0;
        for line in scene.lines() {
            let url = line.audio.url.clone().unwrap();
            let wav = download(&s, &url, dir.path()).await;
            speech += probe(&wav, "format=duration").parse::<f64>().unwrap();
        }
        let length: i64 = scene.shots().iter().map(|s| s.duration().unwrap()).sum();
        let length = length as f64;
        assert!(
            length >= speech && length - speech <= 2.0,
            "{}: {length} s for {speech} s",
            scene.id
        );
        expected += length;
        shots += scene.shots().len();
    }
    let cut = assemble(&s, "drama_timed", AssembleRequest::default()).await;
    assert_eq!(cut.cues, 4);
    let path = download(&s, &cut.url, dir.path()).await;
    let duration: f64 = probe(&path, "format=duration").parse().unwrap();
    let frame = 1.0 / 30.0;
    assert!(
        (duration - expected).abs() <= frame * shots as f64 + 0.03,
        "{duration} vs {expected}"
    );
    let kinds = probe(&path, "stream=codec_type");
    assert_eq!(kinds.lines().filter(|k| *k == "video").count(), 1, "{kinds}");
    assert_eq!(kinds.lines().filter(|k| *k == "audio").count(), 1, "{kinds}");
    // One cue per line, in order, each inside its line's sound.
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-map", "0:s:0", "-f", "srt", "-"])
        .output()
        .unwrap();
    let srt = String::from_utf8_lossy(&out.stdout).into_owned();
    let cues = cue_times(&srt);
    assert_eq!(cues.len(), 4, "{srt}");
    let texts = ["Ready?", "countdown", "tower", "Then we fly."];
    let mut at = 0;
    for t in texts {
        let found = srt[at..].find(t).unwrap_or_else(|| panic!("{t} out of order: {srt}"));
        at += found;
    }
    let heard = voiced(&path);
    assert_eq!(heard.len(), 4, "{heard:?} {srt}");
    for ((start, end), (from, to)) in cues.iter().zip(&heard) {
        assert!(
            *start >= from - 0.06 && *end <= to + 0.06,
            "cue {start}-{end} outside {from}-{to}"
        );
    }
    // The music is quieter under speech than between lines.
    let under: Vec<f64> = heard
        .iter()
        .map(|(a, b)| music_level(&path, a + 0.1, b - 0.05))
        .collect();
    let mut between = Vec::new();
    let gaps = heard
        .windows(2)
        .map(|w| (w[0].1, w[1].0))
        .chain([(heard[3].1, duration)]);
    for (a, b) in gaps {
        if b - a >= 0.35 {
            between.push(music_level(&path, a + 0.3, b - 0.02));
        }
    }
    assert!(!between.is_empty(), "{heard:?}");
    let loudest_under = under.iter().copied().fold(f64::MIN, f64::max);
    let quietest_between = between.iter().copied().fold(f64::MAX, f64::min);
    assert!(
        loudest_under + 6.0 < quietest_between,
        "under speech {under:?} dB, between lines {between:?} dB"
    );
}
