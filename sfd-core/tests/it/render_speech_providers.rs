//! Voice providers against wiremock in their documented shapes (cited in
//! each provider's module): ElevenLabs `with-timestamps` and MiniMax
//! `t2a_v2`. The character's stable voice reaches the call as the
//! provider's own voice id, the timestamps come back as words, and the key
//! is in its header and never in an error.

use base64::Engine;
use serde_json::json;
use sfd_core::{
    AspectRatio, AssetKind, ElevenLabs, LlmErrorKind, MediaRequest, MediaType, MiniMaxSpeech, Renderer, RendererExt,
    Voice,
};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::render_task_providers::{KEY, body_of, config, typed};

const MP3: &[u8] = b"ID3\x03\0\0\0\0\0\x0ffake-mp3-frames";

fn voice(name: &str) -> Voice {
    Voice {
        name: name.into(),
        instructions: Some("warm, wry".into()),
        sample: None,
    }
}

#[tokio::test]
async fn elevenlabs_speaks_in_the_mapped_voice_and_keeps_word_times() {
    let server = MockServer::start().await;
    let text = "Fetch the stars.";
    let chars: Vec<String> = text.chars().map(String::from).collect();
    let starts: Vec<f64> = (0..chars.len()).map(|i| i as f64 * 0.1).collect();
    let ends: Vec<f64> = starts.iter().map(|s| s + 0.1).collect();
    // "coral" (the stable pick) is ElevenLabs' premade Sarah.
    let at = "/v1/text-to-speech/EXAVITQu4vr4xnSDxMaL/with-timestamps";
    Mock::given(method("POST"))
        .and(path(at))
        .and(query_param("output_format", "mp3_44100_128"))
        .and(header("xi-api-key", KEY))
        .and(body_partial_json(
            json!({"text": text, "model_id": "eleven_multilingual_v2"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "audio_base64": base64::engine::general_purpose::STANDARD.encode(MP3),
            "alignment": {"characters": chars, "character_start_times_seconds": starts,
                          "character_end_times_seconds": ends},
            "normalized_alignment": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let r = ElevenLabs::new(config(server.uri(), "eleven_multilingual_v2")).unwrap();
    let out = r.speech(text, voice("coral")).await.unwrap();
    assert_eq!(out.media_type, MediaType::Mpeg);
    let timing = out.speech.unwrap();
    let words: Vec<&str> = timing.words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["Fetch", "the", "stars."]);
    assert_eq!((timing.words[1].start, timing.words[1].end), (0.6, 0.9));
    assert!((timing.duration - 1.6).abs() < 1e-9 && out.usage.seconds == timing.duration);

    // A voice id of the provider's own (metadata.voice) is sent as it is.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/text-to-speech/myClonedVoice01/with-timestamps"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"detail": {"status": "invalid_api_key"}})))
        .expect(1)
        .mount(&server)
        .await;
    let r = ElevenLabs::new(config(server.uri(), "eleven_v3")).unwrap();
    let e = r.speech("hi", voice("myClonedVoice01")).await.unwrap_err();
    typed(&e, LlmErrorKind::Auth);
    let e = r.speech("hi", voice("../../v1/user")).await.unwrap_err();
    typed(&e, LlmErrorKind::BadRequest);
    let e = r
        .render(MediaRequest::new(AssetKind::Image, "x", AspectRatio::PORTRAIT))
        .await
        .unwrap_err();
    typed(&e, LlmErrorKind::BadRequest);
}

#[tokio::test]
async fn minimax_speaks_hex_audio_and_spreads_its_sentence_times() {
    let server = MockServer::start().await;
    let hex: String = MP3.iter().map(|b| format!("{b:02x}")).collect();
    let subtitles = format!("{}/files/sub.json", server.uri());
    Mock::given(method("GET"))
        .and(path("/files/sub.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"text": "Fetch the stars.", "time_begin": 0.0, "time_end": 1200.0},
            {"text": "Now.", "time_begin": 1500.0, "time_end": 1900.0}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/t2a_v2"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"audio": hex, "status": 2, "subtitle_file": subtitles},
            "extra_info": {"audio_length": 2000, "audio_sample_rate": 32000, "audio_format": "mp3",
                           "usage_characters": 21},
            "trace_id": "01b8bf9bb7433cc75c18eee6cfa8fe21",
            "base_resp": {"status_code": 0, "status_msg": "success"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let r = MiniMaxSpeech::new(config(server.uri(), "speech-02-hd")).unwrap();
    let out = r.speech("Fetch the stars. Now.", voice("onyx")).await.unwrap();
    assert_eq!(
        (out.media_type, out.usage.seconds, out.usage.characters),
        (MediaType::Mpeg, 2.0, 21)
    );
    let body = body_of(&server, "/v1/t2a_v2").await;
    assert_eq!(body["voice_setting"]["voice_id"], "presenter_male");
    assert_eq!(
        (
            body["output_format"].as_str(),
            body["subtitle_enable"].as_bool(),
            body["stream"].as_bool()
        ),
        (Some("hex"), Some(true), Some(false))
    );
    assert_eq!(body["audio_setting"]["format"], "mp3");
    let timing = out.speech.unwrap();
    assert_eq!(timing.duration, 2.0);
    let words: Vec<(&str, f64)> = timing.words.iter().map(|w| (w.text.as_str(), w.start)).collect();
    assert_eq!(words.len(), 4);
    assert_eq!(words[3], ("Now.", 1.5));
    assert!(timing.words[2].end <= 1.2 + 1e-9);

    // An envelope error is typed, without the key.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "base_resp": {"status_code": 1026, "status_msg": "input new_sensitive"}
        })))
        .mount(&server)
        .await;
    let r = MiniMaxSpeech::new(config(server.uri(), "speech-02-hd")).unwrap();
    let e = r.speech("x", voice("male-qn-qingse")).await.unwrap_err();
    typed(&e, LlmErrorKind::Refusal);
}
