//! A character's reference voice clip over HTTP (`PUT|DELETE
//! /dramas/{id}/characters/{cid}/voice_sample`), with the real server and
//! the real client: stored as a media file of the character, recorded as
//! its `metadata.voice_sample`, shown by the plan, refused with a JSON
//! 4xx when it is not audio, not what its type says, too big or for no
//! such character.

use std::sync::Arc;

use sfd_client::{Error, RenderRequest};
use sfd_core::{
    Asset, AssetKind, Character, Drama, Episode, RenderConfig, Scene, SimulatedRenderer, Storage, StorageBuilder,
    StorageExt,
};

use crate::harness::{Options, TestServer};

/// A PCM WAV of `seconds` seconds (8 kHz, mono, 8-bit).
fn wav(seconds: u32) -> Vec<u8> {
    let data = 8000 * seconds;
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    for v in [1u16, 1] {
        w.extend_from_slice(&v.to_le_bytes());
    }
    for v in [8000u32, 8000] {
        w.extend_from_slice(&v.to_le_bytes());
    }
    for v in [1u16, 8] {
        w.extend_from_slice(&v.to_le_bytes());
    }
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data.to_le_bytes());
    w.resize(44 + data as usize, 0x80);
    w
}

fn drama() -> Drama {
    let mut d = Drama::new("drama_voice1", "Fetch the Stars", "A corgi builds a rocket.", "corgi");
    d.characters.push(Character::new("char-ava", "Ava", "a border collie"));
    d.characters.push(Character::new("char-rex", "Rex", "a corgi"));
    let mut ep = Episode::new("ep1", "Launch", "synopsis");
    let mut sc = Scene::new("ep1-sc1", "the garage");
    for (id, who) in [("ep1-sc1-ava", "char-ava"), ("ep1-sc1-rex", "char-rex")] {
        let mut line = Asset::new(id, AssetKind::Audio, format!("{who} speaks."));
        line.depends_on = vec![who.into()];
        sc.assets.push(line);
    }
    ep.scenes.push(sc);
    d.episodes.push(ep);
    d
}

async fn server(media_limit: u64) -> TestServer {
    let storage: Arc<dyn Storage> = Arc::new(StorageBuilder::memory().build().unwrap());
    storage.create_drama(&drama()).await.unwrap();
    let render = RenderConfig::new().with_renderer(AssetKind::Audio, Arc::new(SimulatedRenderer::new()));
    TestServer::with(Options {
        storage: Some(storage),
        render,
        media_limit,
        ..Default::default()
    })
    .await
}

/// The status and error title of an API error.
fn api(e: Error) -> (u16, String) {
    match e {
        Error::Api { status, error, .. } => (status, error),
        other => panic!("not an API error: {other}"),
    }
}

#[tokio::test]
async fn a_voice_sample_is_stored_on_the_character_and_shown_by_the_plan() {
    let s = server(sfd_server::DEFAULT_MEDIA_LIMIT).await;
    let ava = s
        .client
        .upload_voice_sample("drama_voice1", "char-ava", "audio/wav", wav(12))
        .await
        .unwrap();
    assert!(ava.etag.is_some());
    let sample = &ava.value.metadata.as_ref().unwrap()["voice_sample"];
    assert_eq!(sample["contentType"], "audio/wav");
    assert_eq!(sample["seconds"], 12.0);
    let url = sample["url"].as_str().unwrap();
    assert!(url.starts_with("/media/media/drama_voice1/char-ava-voice-"), "{url}");
    let mut back = Vec::new();
    s.client.download_media(url, &mut back).await.unwrap();
    assert_eq!(back, wav(12));

    // The simulated speech does not clone: the plan says the sample is not used.
    let request = RenderRequest {
        kinds: Some(vec![AssetKind::Audio]),
        ..Default::default()
    };
    let plan = s.client.render_plan("drama_voice1", &request).await.unwrap();
    let notes = |id: &str| plan.node(id).unwrap().sent.as_ref().unwrap().notes.clone();
    assert!(
        notes("ep1-sc1-ava")
            .iter()
            .any(|n| n.contains("char-ava's voice sample is not used")),
        "{plan:?}"
    );
    assert!(notes("ep1-sc1-rex").is_empty(), "{plan:?}");

    let ava = s.client.remove_voice_sample("drama_voice1", "char-ava").await.unwrap();
    assert!(ava.value.metadata.unwrap().get("voice_sample").is_none());
    s.stop().await;
}

#[tokio::test]
async fn bad_voice_samples_are_refused_with_json_errors() {
    let s = server(50_000).await;
    let c = &s.client;
    let e = c
        .upload_voice_sample("drama_voice1", "char-ava", "text/plain", "hello")
        .await
        .unwrap_err();
    assert_eq!(api(e), (415, "unsupported_media_type".into()));
    let e = c
        .upload_voice_sample(
            "drama_voice1",
            "char-ava",
            "image/png",
            b"\x89PNG\r\n\x1a\nxxxx".to_vec(),
        )
        .await
        .unwrap_err();
    assert_eq!(api(e).0, 415);
    // Bytes that are not what the type says.
    let e = c
        .upload_voice_sample("drama_voice1", "char-ava", "audio/mpeg", "<html></html>")
        .await
        .unwrap_err();
    assert_eq!(api(e), (415, "unsupported_media_type".into()));
    // Past the media limit (here 50 000 bytes): a 12 s WAV has 96 044.
    let e = c
        .upload_voice_sample("drama_voice1", "char-ava", "audio/wav", wav(12))
        .await
        .unwrap_err();
    assert_eq!(api(e).0, 413);
    let e = c
        .upload_voice_sample("drama_voice1", "char-nobody", "audio/wav", wav(1))
        .await
        .unwrap_err();
    assert_eq!(api(e), (404, "not_found".into()));
    let e = c
        .upload_voice_sample("drama_voice1", "char-ava", "audio/wav", Vec::<u8>::new())
        .await
        .unwrap_err();
    assert_eq!(api(e).0, 422);
    let e = c
        .upload_voice_sample("drama_nope", "char-ava", "audio/wav", wav(1))
        .await
        .unwrap_err();
    assert_eq!(api(e).0, 404);
    s.stop().await;
}
