//! Finished episodes and exports over HTTP, with the simulated renderer
//! and the real ffmpeg; files are checked with ffprobe and Python's parsers.

use std::process::Command;
use std::time::Duration;

use sfd_client::{
    AssembleRequest, AssembledEpisode, Asset, AssetKind, AssetOwner, AssetPatch, AudioMode, Character, Drama, Episode,
    ExportFormat, JobStatus, RenderRequest, Scene, SubtitleMode,
};
use sfd_core::RenderConfig;

use crate::harness::{Options, TestServer};
use crate::media::{Held, render_with};

const WAIT: Duration = Duration::from_secs(180);

/// Two characters and one episode of three 2-second scenes, each with an
/// image, a clip and a spoken line (the last one narration).
pub(crate) fn drama(id: &str) -> Drama {
    let mut d = Drama::new(id, "Rocket Corgi", "A dog, a rocket.", "corgi tycoon");
    for (cid, name) in [("char-ava", "Ava"), ("char-max", "Max")] {
        d.characters
            .push(Character::new(cid, name, format!("{name}, in a red jacket")));
    }
    let mut ep = Episode::new("ep1", "Liftoff", "The first launch.");
    for (n, speaker) in [(1, Some("char-ava")), (2, Some("char-max")), (3, None)] {
        let sid = format!("ep1-sc{n}");
        let mut sc = Scene::new(&sid, format!("Scene {n}: the launch pad at dawn."));
        let mut img = Asset::new(format!("{sid}-img"), AssetKind::Image, format!("keyframe {n}"));
        img.depends_on = vec!["char-ava".into()];
        let mut vid = Asset::new(format!("{sid}-vid"), AssetKind::Video, format!("clip {n}"));
        vid.depends_on = vec![img.id.clone()];
        vid.duration = Some(2);
        let mut aud = Asset::new(
            format!("{sid}-aud"),
            AssetKind::Audio,
            format!("Line {n}, \"quoted\", spoken."),
        );
        aud.depends_on = speaker.into_iter().map(str::to_string).collect();
        sc.assets = vec![img, vid, aud];
        ep.scenes.push(sc);
    }
    d.episodes.push(ep);
    d
}

pub(crate) async fn rendered(s: &TestServer, id: &str) -> Drama {
    rendered_drama(s, drama(id)).await
}

/// `d` imported and rendered whole.
pub(crate) async fn rendered_drama(s: &TestServer, d: Drama) -> Drama {
    let id = d.id.as_str();
    s.client.import_drama(&d).await.unwrap();
    let job = s.client.render(id, &RenderRequest::all()).await.unwrap();
    let done = s.client.wait_for_job(id, &job.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    s.client.get_drama(id).await.unwrap().value
}

pub(crate) async fn assemble(s: &TestServer, id: &str, request: AssembleRequest) -> AssembledEpisode {
    let job = s.client.assemble_episode(id, "ep1", &request).await.unwrap();
    let done = s.client.wait_for_job(id, &job.job_id, WAIT).await.unwrap();
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    serde_json::from_value(serde_json::Value::Object(done.result.unwrap())).unwrap()
}

pub(crate) async fn download(s: &TestServer, url: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let mut bytes = Vec::new();
    s.client.download_media(url, &mut bytes).await.unwrap();
    let path = dir.join("cut.mp4");
    std::fs::write(&path, bytes).unwrap();
    path
}

pub(crate) fn probe(path: &std::path::Path, entries: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", entries, "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Seconds of an SRT time `HH:MM:SS,mmm`.
fn seconds(t: &str) -> f64 {
    let (hms, ms) = t.trim().split_once(',').unwrap();
    let p: Vec<f64> = hms.split(':').map(|x| x.parse().unwrap()).collect();
    p[0] * 3600.0 + p[1] * 60.0 + p[2] + ms.parse::<f64>().unwrap() / 1000.0
}

/// The (start, end) of every cue of an SRT text.
pub(crate) fn cue_times(srt: &str) -> Vec<(f64, f64)> {
    srt.lines()
        .filter_map(|l| l.split_once(" --> "))
        .map(|(a, b)| (seconds(a), seconds(b)))
        .collect()
}

pub(crate) fn python(script: &str, input: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn an_episode_becomes_one_vertical_mp4_with_speech_and_a_subtitle_track() {
    let s = TestServer::with(Options {
        render: render_with(Held::new(|_| false)),
        ..Default::default()
    })
    .await;
    rendered(&s, "drama_cut1").await;
    let cut = assemble(&s, "drama_cut1", AssembleRequest::default()).await;
    assert!(cut.stills.is_empty() && cut.blank.is_empty(), "{cut:?}");
    assert_eq!(cut.cues, 3);
    let dir = tempfile::tempdir().unwrap();
    let path = download(&s, &cut.url, dir.path()).await;
    let duration: f64 = probe(&path, "format=duration").parse().unwrap();
    // Each scene lasts its 2 s line plus its pauses, in whole seconds: 3 s.
    assert!((duration - 9.0).abs() <= 0.2, "{duration}");
    let streams = probe(&path, "stream=codec_type,codec_name,width,height");
    assert!(streams.contains("h264,video,720,1280"), "{streams}");
    assert!(streams.contains("aac,audio"), "{streams}");
    assert!(streams.contains("mov_text,subtitle"), "{streams}");
    // The subtitle track, read back out of the file.
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&path)
        .args(["-map", "0:s:0", "-f", "srt", "-"])
        .output()
        .unwrap();
    let srt = String::from_utf8_lossy(&out.stdout);
    assert!(srt.contains("Ava: Line 1") && srt.contains("Line 3"), "{srt}");
    let times = cue_times(&srt);
    assert_eq!(times.len(), 3, "{srt}");
    for (i, (start, end)) in times.iter().enumerate() {
        assert!(start < end && *end <= duration + 0.05, "{srt}");
        if i > 0 {
            assert!(*start >= times[i - 1].1 - 0.001, "cues overlap: {srt}");
        }
    }
    // The cut is recorded on the episode, and a render leaves it alone.
    let d = s.client.get_drama("drama_cut1").await.unwrap().value;
    let ep = d.episode("ep1").unwrap();
    assert_eq!(ep.url.as_deref(), Some(cut.url.as_str()));
    assert!(
        ep.assets
            .iter()
            .any(|a| a.id == "ep1-cut" && a.url.as_deref() == Some(cut.url.as_str()))
    );
    let plan = s.client.render_plan("drama_cut1", &RenderRequest::all()).await.unwrap();
    assert!(plan.node("ep1-cut").is_none(), "{plan:?}");
}

#[tokio::test]
async fn a_missing_clip_falls_back_to_its_still_and_burned_subtitles_work() {
    let s = TestServer::with(Options {
        render: render_with(Held::new(|_| false)),
        ..Default::default()
    })
    .await;
    rendered(&s, "drama_cut2").await;
    let owner = AssetOwner::scene("ep1", "ep1-sc2");
    let patch = AssetPatch {
        url: Some(None),
        ..Default::default()
    };
    s.client
        .update_asset("drama_cut2", &owner, "ep1-sc2-vid", &patch, None)
        .await
        .unwrap();
    let request = AssembleRequest {
        subtitles: SubtitleMode::Burn,
        audio: AudioMode::Mix,
    };
    let cut = assemble(&s, "drama_cut2", request).await;
    assert_eq!(cut.stills, ["ep1-sc2"], "{cut:?}");
    let dir = tempfile::tempdir().unwrap();
    let path = download(&s, &cut.url, dir.path()).await;
    let duration: f64 = probe(&path, "format=duration").parse().unwrap();
    // Each scene lasts its 2 s line plus its pauses, in whole seconds: 3 s.
    assert!((duration - 9.0).abs() <= 0.2, "{duration}");
    let streams = probe(&path, "stream=codec_type");
    assert!(!streams.contains("subtitle"), "burned in, not a track: {streams}");
}

#[tokio::test]
async fn no_scenes_is_422_and_no_ffmpeg_is_503_naming_it() {
    let s = TestServer::with(Options {
        render: render_with(Held::new(|_| false)),
        ..Default::default()
    })
    .await;
    let mut d = drama("drama_cut3");
    d.episodes.push(Episode::new("ep2", "Empty", "nothing yet"));
    s.client.import_drama(&d).await.unwrap();
    let err = s
        .client
        .assemble_episode("drama_cut3", "ep2", &AssembleRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422), "{err}");
    let err = s
        .client
        .assemble_episode("drama_cut3", "nope", &AssembleRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");

    let without = TestServer::with(Options {
        render: RenderConfig::new().with_ffmpeg("/nonexistent/sfd-test/ffmpeg"),
        ..Default::default()
    })
    .await;
    without.client.import_drama(&drama("drama_cut4")).await.unwrap();
    let err = without
        .client
        .assemble_episode("drama_cut4", "ep1", &AssembleRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert!(err.to_string().contains("/nonexistent/sfd-test/ffmpeg"), "{err}");
}

#[tokio::test]
async fn exports_parse_round_trip_and_list_every_file() {
    let s = TestServer::with(Options {
        render: render_with(Held::new(|_| false)),
        ..Default::default()
    })
    .await;
    let d = rendered(&s, "drama_exp1").await;
    let get = |format| {
        let client = s.client.clone();
        async move {
            let mut out = Vec::new();
            client.export("drama_exp1", format, None, &mut out).await.unwrap();
            out
        }
    };
    let fountain = String::from_utf8(get(ExportFormat::Fountain).await).unwrap();
    assert!(fountain.starts_with("Title: Rocket Corgi"), "{fountain}");
    assert!(fountain.contains("\n@AVA\nLine 1"), "{fountain}");
    assert!(fountain.contains(".EPISODE 1 SCENE 2"), "{fountain}");

    let csv = get(ExportFormat::Csv).await;
    let rows = python(
        "import csv, io, json, sys; print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.read(), newline='')))))",
        &csv,
    );
    let rows: Vec<Vec<String>> = serde_json::from_str(&rows).unwrap();
    assert_eq!(
        rows[0],
        [
            "episode", "scene", "asset", "kind", "prompt", "duration", "url", "heading", "framing", "camera",
            "speaker", "delivery"
        ]
    );
    assert_eq!(rows.len(), 1 + 9);
    let line = rows.iter().find(|r| r[2] == "ep1-sc1-aud").unwrap();
    assert_eq!(line[4], "Line 1, \"quoted\", spoken.");
    // Its scene's length, timed from the speech (2 s and its pauses).
    assert_eq!(line[5], "3");
    assert_eq!(line[10], "Ava");

    let srt = String::from_utf8(get(ExportFormat::Srt).await).unwrap();
    let times = cue_times(&srt);
    // One cue per line, each heard inside its scene (3 s each, timed from the speech).
    assert_eq!(times.len(), 3, "{srt}");
    for (i, (start, end)) in times.iter().enumerate() {
        let scene = 3.0 * i as f64;
        assert!(scene <= *start && start < end && *end <= scene + 3.0, "{srt}");
    }

    let zip = get(ExportFormat::Zip).await;
    let names = python(
        "import io, sys, zipfile; z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())); assert z.testzip() is None; print('\\n'.join(z.namelist()))",
        &zip,
    );
    let names: Vec<&str> = names.lines().collect();
    assert!(names.contains(&"drama_exp1/drama.json"), "{names:?}");
    let mut keys = 0;
    for a in d.episodes[0]
        .scenes
        .iter()
        .flat_map(|s| s.assets.iter())
        .chain(d.characters.iter().flat_map(|c| c.assets.iter()))
    {
        let key = a.url.as_deref().unwrap().trim_start_matches("/media/");
        assert!(
            names.contains(&format!("drama_exp1/{key}").as_str()),
            "{key} not in {names:?}"
        );
        keys += 1;
    }
    assert!(keys >= 11);
    let err = s
        .client
        .export("nope", ExportFormat::Csv, None, &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}
