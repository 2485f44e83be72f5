//! Voice identity from an uploaded clip (issue 29 item 4): a character's
//! reference sample is cloned once per (provider, sample) by ElevenLabs
//! Instant Voice Cloning or MiniMax quick cloning, against wiremock in
//! their documented shapes (cited in `providers/elevenlabs.rs` and
//! `providers/minimax_speech.rs`); every line of the character speaks in
//! the clone; a re-render, a resumed job and a lost answer never clone
//! twice; a new sample makes only that character's lines stale.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::json;
use sfd_core::{
    AssetKind, ElevenLabs, JobStatus, Lookup, MediaType, MiniMaxSpeech, PlanAction, Reference, RenderConfig,
    RenderRequest, Renderer, Storage, StorageBuilder, StorageExt, Studio, VOICE_CLONE_METADATA, VoiceSample,
    clone_name, plan_render,
};
use wiremock::matchers::{body_partial_json, header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::render_support::{config_for, priced_with, sample, simulated, studio_with};
use crate::render_task_providers::{KEY, config, typed};

const MP3: &[u8] = b"ID3\x03\0\0\0\0\0\x0ffake-mp3-frames";
const DRAMA: &str = "drama_vclone";

/// A PCM WAV of `seconds` seconds (8 kHz, mono, 8-bit).
pub fn wav(seconds: u32) -> Vec<u8> {
    let data = 8000 * seconds;
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data.to_le_bytes());
    w.resize(44 + data as usize, 0x80);
    w
}

fn audio() -> RenderRequest {
    RenderRequest {
        kinds: Some(vec![AssetKind::Audio]),
        ..Default::default()
    }
}

fn forced() -> RenderRequest {
    RenderRequest { force: true, ..audio() }
}

async fn upload(
    studio: &Studio,
    cid: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> sfd_core::Result<sfd_core::Character> {
    let stream = futures::stream::iter([Ok(Bytes::from(bytes))]).boxed();
    Ok(studio
        .upload_voice_sample(DRAMA, cid, content_type, stream, 1 << 30)
        .await?
        .value)
}

async fn render(studio: &Studio, request: RenderRequest) -> sfd_core::Job {
    let job = studio.start_render(DRAMA, request).await.unwrap();
    studio.jobs().wait(DRAMA, &job.job_id).await.unwrap()
}

/// How many requests `server` got at `at` (method `m`).
async fn count(server: &MockServer, m: &str, at: &str) -> usize {
    let all = server.received_requests().await.unwrap_or_default();
    all.iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == at)
        .count()
}

/// The voices the lines were spoken in, in request order (not the
/// episode's music track, which the render adds).
async fn spoken(server: &MockServer) -> Vec<(String, String)> {
    let all: Vec<Request> = server.received_requests().await.unwrap_or_default();
    all.iter()
        .filter(|r| r.url.path().starts_with("/v1/text-to-speech/"))
        .map(|r| {
            let voice = r.url.path().split('/').nth(3).unwrap_or_default().to_string();
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            (body["text"].as_str().unwrap_or_default().to_string(), voice)
        })
        .filter(|(text, _)| text.starts_with("Line spoken"))
        .collect()
}

async fn elevenlabs_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/v1/text-to-speech/[A-Za-z0-9_-]+/with-timestamps$"))
        .and(header("xi-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "audio_base64": base64::engine::general_purpose::STANDARD.encode(MP3),
            "alignment": {"characters": ["h", "i"], "character_start_times_seconds": [0.0, 0.5],
                          "character_end_times_seconds": [0.5, 1.0]},
            "normalized_alignment": null
        })))
        .mount(&server)
        .await;
    server
}

fn elevenlabs_studio(storage: &Arc<dyn Storage>, server: &MockServer) -> Studio {
    let r = Arc::new(ElevenLabs::new(config(server.uri(), "eleven_multilingual_v2")).unwrap());
    studio_with(Arc::clone(storage), config_for(r))
}

#[tokio::test]
async fn elevenlabs_clones_once_and_every_line_of_the_character_speaks_in_the_clone() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&sample(DRAMA, 2, 1, 4, 4, true)).await.unwrap();
    let server = elevenlabs_server().await;
    Mock::given(method("POST"))
        .and(path("/v1/voices/add"))
        .and(header("xi-api-key", KEY))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"voice_id": "clonedHero0", "requires_verification": false})),
        )
        .mount(&server)
        .await;
    let studio = elevenlabs_studio(&storage, &server);
    let hero = upload(&studio, "char-0", "audio/wav", wav(12)).await.unwrap();
    let sample = VoiceSample::of(&hero).unwrap();
    assert_eq!((sample.media_type, sample.millis), (MediaType::Wav, Some(12_000)));

    // The plan shows the clone step once, on the first line of char-0.
    let config = studio.render_config().clone();
    let d = storage.get_drama(DRAMA).await.unwrap().value;
    let plan = plan_render(&d, &audio(), &config).unwrap();
    let notes: Vec<String> = plan
        .nodes
        .iter()
        .flat_map(|n| n.sent.iter().flat_map(|s| s.notes.clone()))
        .collect();
    assert_eq!(
        notes.iter().filter(|n| n.starts_with("clone step: elevenlabs")).count(),
        1,
        "{notes:?}"
    );

    let done = render(&studio, audio()).await;
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(count(&server, "POST", "/v1/voices/add").await, 1);
    // The clone call: multipart `name` (deterministic) and `files`, the key in its header.
    let all = server.received_requests().await.unwrap();
    let add = all.iter().find(|r| r.url.path() == "/v1/voices/add").unwrap();
    let body = String::from_utf8_lossy(&add.body);
    let name = clone_name(DRAMA, "char-0", &sample.hash);
    assert!(body.contains("name=\"name\"") && body.contains(&name), "{body}");
    assert!(body.contains("name=\"files\"") && body.contains("RIFF"));
    assert!(
        add.headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("multipart/form-data"))
    );
    // char-0's lines speak in the clone, char-1's in its premade voice.
    let d = storage.get_drama(DRAMA).await.unwrap().value;
    for (text, voice) in spoken(&server).await {
        let line = d.episodes[0]
            .scenes
            .iter()
            .flat_map(|s| &s.assets)
            .find(|a| a.prompt == text)
            .unwrap_or_else(|| panic!("no line says {text}"));
        let cloned = line.depends_on[0] == "char-0";
        assert_eq!(voice == "clonedHero0", cloned, "{text} spoken in {voice}");
    }
    let kept = &d.character("char-0").unwrap().metadata.as_ref().unwrap()[VOICE_CLONE_METADATA];
    assert_eq!(kept["voiceId"], "clonedHero0");
    assert_eq!(kept["sampleHash"], sample.hash.as_str());

    // A second render: the voice on the character, no clone.
    let done = render(&studio, forced()).await;
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(count(&server, "POST", "/v1/voices/add").await, 1);

    // A job restarted after the clone but before the character kept it:
    // the ledger holds the voice id, nothing is cloned again.
    storage
        .modify_drama(DRAMA, None, |d| {
            let m = d.character_mut("char-0")?.metadata.as_mut().unwrap();
            m.remove(VOICE_CLONE_METADATA);
            Ok(())
        })
        .await
        .unwrap();
    let restarted = elevenlabs_studio(&storage, &server);
    let done = render(&restarted, forced()).await;
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(count(&server, "POST", "/v1/voices/add").await, 1);
    assert!(spoken(&server).await.iter().filter(|(_, v)| v == "clonedHero0").count() >= 6);
    assert_eq!(count(&server, "GET", "/v1/voices").await, 0);
}

#[tokio::test]
async fn a_clone_whose_answer_was_lost_is_looked_up_by_name_not_sent_again() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&sample(DRAMA, 2, 1, 4, 4, true)).await.unwrap();
    let server = elevenlabs_server().await;
    // The clone call fails with a 502: whether it made the voice is unknown.
    Mock::given(method("POST"))
        .and(path("/v1/voices/add"))
        .respond_with(ResponseTemplate::new(502).set_body_string(format!("upstream said {KEY}")))
        .mount(&server)
        .await;
    // The first look-up finds nothing; later ones find the voice it made.
    Mock::given(method("GET"))
        .and(path("/v1/voices"))
        .and(header("xi-api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"voices": []})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let studio = elevenlabs_studio(&storage, &server);
    let hero = upload(&studio, "char-0", "audio/wav", wav(12)).await.unwrap();
    let name = clone_name(DRAMA, "char-0", &VoiceSample::of(&hero).unwrap().hash);
    Mock::given(method("GET"))
        .and(path("/v1/voices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"voices": [
            {"voice_id": "premade1", "name": "Rachel", "category": "premade"},
            {"voice_id": "foundHero0", "name": name, "category": "cloned"}
        ]})))
        .mount(&server)
        .await;

    let done = render(&studio, audio()).await;
    assert_eq!(done.status, JobStatus::Failed);
    let error = done.error.unwrap_or_default();
    assert!(
        error.contains("cloning char-0's voice") && !error.contains(KEY),
        "{error}"
    );
    // char-1's lines were spoken; char-0's failed.
    let said = spoken(&server).await;
    assert_eq!(said.len(), 2, "{said:?}");
    assert_eq!(count(&server, "POST", "/v1/voices/add").await, 1);
    assert_eq!(count(&server, "GET", "/v1/voices").await, 1);

    // The next render looks the clone up by its name and uses it.
    let done = render(&studio, audio()).await;
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);
    assert_eq!(count(&server, "POST", "/v1/voices/add").await, 1);
    assert_eq!(
        spoken(&server).await.iter().filter(|(_, v)| v == "foundHero0").count(),
        2
    );
}

#[tokio::test]
async fn minimax_uploads_the_sample_then_clones_it_under_its_own_voice_id() {
    let server = MockServer::start().await;
    let bearer = format!("Bearer {KEY}");
    Mock::given(method("POST"))
        .and(path("/v1/files/upload"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "file": {"file_id": 377312, "bytes": 96044, "created_at": 1700469398, "filename": "char-0-voice.wav", "purpose": "voice_clone"},
            "base_resp": {"status_code": 0, "status_msg": "success"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let name = "sfd-drama_vclone-char-0-0a1b2c3d";
    Mock::given(method("POST"))
        .and(path("/v1/voice_clone"))
        .and(header("authorization", bearer.as_str()))
        .and(body_partial_json(json!({"file_id": 377312, "voice_id": name})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "input_sensitive": false, "input_sensitive_type": 0, "demo_audio": "",
            "base_resp": {"status_code": 0, "status_msg": "success"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/get_voice"))
        .and(body_partial_json(json!({"voice_type": "voice_cloning"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "voice_cloning": [{"voice_id": name, "description": [], "created_time": "2026-12-08"}],
            "base_resp": {"status_code": 0, "status_msg": "success"}
        })))
        .mount(&server)
        .await;
    let r = MiniMaxSpeech::new(config(server.uri(), "speech-02-hd")).unwrap();
    let cloner = r.cloner().unwrap();
    let clip = Reference {
        name: "char-0-voice".into(),
        media_type: MediaType::Wav,
        bytes: wav(11).into(),
    };
    assert_eq!(cloner.clone_voice(name, &clip).await.unwrap(), name);
    let all = server.received_requests().await.unwrap();
    let up = all.iter().find(|r| r.url.path() == "/v1/files/upload").unwrap();
    let body = String::from_utf8_lossy(&up.body);
    assert!(
        body.contains("name=\"purpose\"") && body.contains("voice_clone"),
        "{body}"
    );
    assert!(body.contains("name=\"file\"") && body.contains("filename=\"char-0-voice.wav\""));
    assert_eq!(cloner.find_voice(name).await.unwrap(), Lookup::Found(name.into()));
    assert_eq!(cloner.find_voice("sfd-other-1").await.unwrap(), Lookup::Missing);

    // A refused clone is typed, without the key.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string(format!("bad key {KEY}")))
        .mount(&server)
        .await;
    let r = MiniMaxSpeech::new(config(server.uri(), "speech-02-hd")).unwrap();
    let e = r.cloner().unwrap().clone_voice(name, &clip).await.unwrap_err();
    typed(&e, sfd_core::LlmErrorKind::Auth);
    let r = ElevenLabs::new(config(server.uri(), "eleven_v3")).unwrap();
    let e = r.cloner().unwrap().clone_voice(name, &clip).await.unwrap_err();
    typed(&e, sfd_core::LlmErrorKind::Auth);
}

#[tokio::test]
async fn a_new_sample_makes_only_its_characters_lines_stale_and_the_plan_says_what_is_used() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&sample(DRAMA, 2, 1, 4, 4, true)).await.unwrap();
    let config = priced_with(simulated());
    let studio = studio_with(Arc::clone(&storage), config.clone());
    let done = render(&studio, audio()).await;
    assert_eq!(done.status, JobStatus::Completed, "{:?}", done.error);

    let stale_for = |d: &sfd_core::Drama, config: &RenderConfig| {
        let plan = plan_render(d, &audio(), config).unwrap();
        let mut out = Vec::new();
        for s in &d.episodes[0].scenes {
            for a in s.assets.iter().filter(|a| a.kind == AssetKind::Audio) {
                let n = plan.node(&a.id).unwrap();
                out.push((a.depends_on[0].clone(), n.action, n.reason.clone(), n.sent.clone()));
            }
        }
        out
    };
    upload(&studio, "char-0", "audio/wav", wav(4)).await.unwrap();
    let d = storage.get_drama(DRAMA).await.unwrap().value;
    for (cid, action, reason, _) in stale_for(&d, &config) {
        let expected = if cid == "char-0" {
            PlanAction::Stale
        } else {
            PlanAction::Skip
        };
        assert_eq!(action, expected, "{cid}: {reason:?}");
    }
    // A provider that does not clone: the plan says the sample is not used, and which voice is.
    let forced_plan = plan_render(&d, &forced(), &config).unwrap();
    let notes: Vec<String> = forced_plan
        .nodes
        .iter()
        .flat_map(|n| n.sent.iter().flat_map(|s| s.notes.clone()))
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("char-0's voice sample is not used") && n.contains("the voice is")),
        "{notes:?}"
    );
    // MiniMax clones from 10 s to 5 min: a 4 s sample is refused, naming the limit.
    let minimax = Arc::new(MiniMaxSpeech::new(config_of("speech-02-hd")).unwrap());
    let mm = config_for(minimax);
    for (cid, action, reason, _) in stale_for(&d, &mm) {
        if cid == "char-0" {
            assert_eq!(action, PlanAction::Blocked);
            assert!(reason.unwrap().contains("at least 10 s"));
        }
    }
    // Another sample again: char-0 stale, char-1 not; removing it likewise.
    studio.remove_voice_sample(DRAMA, "char-0").await.unwrap();
    let d = storage.get_drama(DRAMA).await.unwrap().value;
    assert!(stale_for(&d, &config).iter().all(|(_, a, _, _)| *a == PlanAction::Skip));
}

fn config_of(model: &str) -> sfd_core::ProviderConfig {
    config("http://127.0.0.1:9".into(), model)
}

#[tokio::test]
async fn bad_samples_are_refused() {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&sample(DRAMA, 1, 1, 1, 4, true)).await.unwrap();
    let studio = studio_with(Arc::clone(&storage), priced_with(simulated()));
    let e = upload(&studio, "char-0", "image/png", b"\x89PNG\r\n\x1a\nxxxx".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(e, sfd_core::Error::UnsupportedMediaType(_)), "{e}");
    let e = upload(&studio, "char-0", "audio/wav", b"not a wave at all".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(e, sfd_core::Error::UnsupportedMediaType(_)), "{e}");
    let e = upload(&studio, "char-0", "audio/wav", Vec::new()).await.unwrap_err();
    assert!(matches!(e, sfd_core::Error::Invalid(_)), "{e}");
    let e = upload(&studio, "nobody", "audio/wav", wav(1)).await.unwrap_err();
    assert!(matches!(e, sfd_core::Error::NotFound { .. }), "{e}");
    let stream = futures::stream::iter([Ok(Bytes::from(wav(2)))]).boxed();
    let e = studio
        .upload_voice_sample(DRAMA, "char-0", "audio/wav", stream, 1000)
        .await
        .unwrap_err();
    assert!(matches!(e, sfd_core::Error::MediaTooLarge { limit: 1000 }), "{e}");
}

/// A clip of `seconds` seconds of a sine made by ffmpeg into `ext` (mp3,
/// m4a); `None` without ffmpeg.
fn encoded(ext: &str, seconds: u32) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("clip.{ext}"));
    let made = std::process::Command::new(sfd_core::Ffmpeg::from_env().path())
        .args(["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i"])
        .arg(format!("sine=frequency=440:sample_rate=22050:duration={seconds}"))
        .args(["-ac", "1", "-b:a", "32k"])
        .arg(&out)
        .status()
        .ok()?;
    assert!(made.success(), "ffmpeg could not make a {ext}");
    Some(std::fs::read(&out).unwrap())
}

/// The notes the plan gives `config`'s provider for `cid`'s lines, and
/// whether one of them is blocked (and why).
fn clone_notes(d: &sfd_core::Drama, config: &RenderConfig, cid: &str) -> (Vec<String>, Option<String>) {
    let plan = plan_render(d, &audio(), config).unwrap();
    let mut notes = Vec::new();
    let mut blocked = None;
    for a in d.episodes[0].scenes.iter().flat_map(|s| &s.assets) {
        if a.kind != AssetKind::Audio || a.depends_on.first().map(String::as_str) != Some(cid) {
            continue;
        }
        let n = plan.node(&a.id).unwrap();
        if n.action == PlanAction::Blocked {
            blocked = n.reason.clone();
        }
        notes.extend(n.sent.iter().flat_map(|s| s.notes.clone()));
    }
    (notes, blocked)
}

#[tokio::test]
async fn ffprobe_tells_an_mp3_or_m4a_samples_length_so_the_plan_checks_it() {
    let (Some(mp3), Some(m4a)) = (encoded("mp3", 4), encoded("m4a", 12)) else {
        eprintln!("skipped: no ffmpeg (apt-get install ffmpeg)");
        return;
    };
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&sample(DRAMA, 2, 1, 4, 4, true)).await.unwrap();
    let minimax = config_for(Arc::new(MiniMaxSpeech::new(config_of("speech-02-hd")).unwrap()));
    let studio = studio_with(Arc::clone(&storage), minimax.clone());

    // A 4 s MP3: its length is read at upload, and MiniMax refuses it.
    let hero = upload(&studio, "char-0", "audio/mpeg", mp3).await.unwrap();
    let s = VoiceSample::of(&hero).unwrap();
    assert_eq!(s.media_type, MediaType::Mpeg);
    assert!(s.millis.is_some_and(|ms| ms.abs_diff(4_000) < 200), "{:?}", s.millis);
    let d = storage.get_drama(DRAMA).await.unwrap().value;
    let (_, blocked) = clone_notes(&d, &minimax, "char-0");
    assert!(blocked.is_some_and(|r| r.contains("at least 10 s")));

    // A 12 s M4A: long enough, cloned, and the note does not hedge.
    let hero = upload(&studio, "char-0", "audio/mp4", m4a.clone()).await.unwrap();
    let s = VoiceSample::of(&hero).unwrap();
    assert!(s.millis.is_some_and(|ms| ms.abs_diff(12_000) < 200), "{:?}", s.millis);
    let d = storage.get_drama(DRAMA).await.unwrap().value;
    let (notes, blocked) = clone_notes(&d, &minimax, "char-0");
    assert_eq!(blocked, None);
    let step: Vec<&String> = notes.iter().filter(|n| n.starts_with("clone step: minimax")).collect();
    assert!(step.len() == 1 && !step[0].contains("not checked"), "{notes:?}");

    // Without ffprobe the length is not known: not refused, and the plan says it is not checked.
    let no_probe = studio_with(
        Arc::clone(&storage),
        config_for(Arc::new(MiniMaxSpeech::new(config_of("speech-02-hd")).unwrap()))
            .with_ffmpeg("/nonexistent/sfd/ffmpeg"),
    );
    let hero = no_probe
        .upload_voice_sample(
            DRAMA,
            "char-0",
            "audio/mpeg",
            futures::stream::iter([Ok(Bytes::from(encoded("mp3", 3).unwrap()))]).boxed(),
            1 << 30,
        )
        .await
        .unwrap()
        .value;
    assert_eq!(VoiceSample::of(&hero).unwrap().millis, None);
    assert!(
        hero.metadata.as_ref().unwrap()[sfd_core::VOICE_SAMPLE_METADATA]
            .get("seconds")
            .is_none()
    );
    let d = storage.get_drama(DRAMA).await.unwrap().value;
    let (notes, blocked) = clone_notes(&d, &minimax, "char-0");
    assert_eq!(blocked, None);
    assert!(
        notes.iter().any(|n| n.starts_with("clone step: minimax")
            && n.contains("length is not known")
            && n.contains("10 s to 300 s it clones from is not checked")),
        "{notes:?}"
    );
}
