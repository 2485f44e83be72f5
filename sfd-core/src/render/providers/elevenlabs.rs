//! [`ElevenLabs`]: speech with character timestamps.
//!
//! Shapes from <https://elevenlabs.io/docs/api-reference/text-to-speech/convert-with-timestamps>
//! (as documented by gateways that copy them:
//! <https://docs.getbifrost.ai/providers/supported-providers/elevenlabs>,
//! and the answer's schema
//! <https://raw.githubusercontent.com/api-evangelist/elevenlabs/refs/heads/main/json-schema/elevenlabs-timestampedaudioresponse-schema.json>):
//! `POST {base}/v1/text-to-speech/{voice_id}/with-timestamps?output_format=mp3_44100_128`
//! with `xi-api-key` and `{text, model_id}`, answering `{audio_base64,
//! alignment: {characters, character_start_times_seconds,
//! character_end_times_seconds}, normalized_alignment}`. The characters
//! become words with times, kept as the line's `metadata.speech`.
//!
//! A character's voice is the id in its `metadata.voice`, or the stable pick
//! of [`crate::render::VOICES`] mapped to a premade ElevenLabs voice of the
//! same register (<https://elevenlabs.io/docs/voices/premade-voices>), or
//! the voice cloned from its reference clip.
//!
//! Instant Voice Cloning, <https://elevenlabs.io/docs/api-reference/add-voice>
//! (as <https://pipedream.com/apps/elevenlabs/actions/add-voice.md> and
//! <https://www.mintlify.com/elevenlabs/elevenlabs-python/api-reference/voices/clone>
//! document it): `POST {base}/v1/voices/add` with `xi-api-key` and a
//! multipart form of `name` and `files`, answering `{voice_id,
//! requires_verification}`. A clone whose answer was lost is found by its
//! name in `GET {base}/v1/voices` (`{voices: [{voice_id, name, category}]}`,
//! <https://skills.sh/vm0-ai/vm0-skills/elevenlabs>).

use async_trait::async_trait;
use serde_json::{Value, json};

use super::super::provider::{Http, decode_base64, file_part, media_type_of};
use super::super::timing::{SpeechTiming, alignment};
use super::super::{Lookup, Media, MediaRequest, ProviderConfig, Reference, Renderer, VoiceCloner, voice};
use super::{call, field};
use crate::model::MediaUsage;
use crate::{LlmErrorKind, Result};

/// ElevenLabs' API base.
pub const ELEVENLABS_API_BASE: &str = "https://api.elevenlabs.io";
/// The model used when none is configured.
pub const DEFAULT_ELEVENLABS_MODEL: &str = "eleven_multilingual_v2";

/// Each of sfd's stable voices as a premade ElevenLabs voice.
const PREMADE: [(&str, &str); 10] = [
    ("alloy", "21m00Tcm4TlvDq8N2Wvm"),   // Rachel
    ("ash", "pNInz6obpgDQGcFmaJgB"),     // Adam
    ("ballad", "JBFqnCBsd6RMkjVDRZzb"),  // George
    ("coral", "EXAVITQu4vr4xnSDxMaL"),   // Sarah
    ("echo", "TxGEqnHWrfWFTfGW9XjX"),    // Josh
    ("fable", "onwK4e9ZLuTAKqWW03F9"),   // Daniel (narration)
    ("nova", "MF3mGyEYCl7XYWbV9V6O"),    // Elli
    ("onyx", "VR6AewLTigWG4xSOukaG"),    // Arnold
    ("sage", "XB0fDUnXU5powFXDhCwa"),    // Charlotte
    ("shimmer", "AZnzlk1XvdvUeBnXmlld"), // Domi
];

/// Speech through ElevenLabs (`ELEVENLABS_API_KEY`), with word times.
#[derive(Debug, Clone)]
pub struct ElevenLabs {
    http: Http,
}

impl ElevenLabs {
    /// A client for `config` (base [`ELEVENLABS_API_BASE`], a key).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(ElevenLabs {
            http: Http::new("elevenlabs", config)?,
        })
    }

    /// The voice id `request` is spoken in.
    pub fn voice_id(request: &MediaRequest) -> String {
        let v = request.voice.clone().unwrap_or_else(voice::narrator);
        voice::provider_voice(&v, &PREMADE).to_string()
    }

    /// The JSON body of the call.
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        json!({"text": request.prompt, "model_id": self.http.config.model()})
    }

    /// `rb` with the `xi-api-key` header when there is a key.
    fn keyed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.http.key() {
            Some(k) => rb.header("xi-api-key", k),
            None => rb,
        }
    }
}

#[async_trait]
impl VoiceCloner for ElevenLabs {
    fn provider(&self) -> &str {
        self.http.name
    }

    async fn clone_voice(&self, name: &str, sample: &Reference) -> Result<String> {
        let url = self.http.url("v1/voices/add");
        // Sent once: a lost answer is looked up by name, never re-sent blindly.
        let v = call(&self.http, false, |c| {
            let form = reqwest::multipart::Form::new().text("name", name.to_string()).part(
                "files",
                file_part(&sample.name, sample.media_type, sample.bytes.clone())?,
            );
            Ok(self.keyed(c.post(&url)).multipart(form))
        })
        .await?;
        let id = field(&self.http, &v, "/voice_id")?.to_string();
        if v["requires_verification"].as_bool() == Some(true) {
            tracing::warn!(voice = %id, "ElevenLabs asks to verify the cloned voice before it speaks");
        }
        Ok(id)
    }

    async fn find_voice(&self, name: &str) -> Result<Lookup> {
        let url = self.http.url("v1/voices");
        let v = call(&self.http, true, |c| Ok(self.keyed(c.get(&url)))).await?;
        let found = v["voices"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|voice| voice["name"].as_str() == Some(name))
            .and_then(|voice| voice["voice_id"].as_str());
        Ok(found.map_or(Lookup::Missing, |id| Lookup::Found(id.to_string())))
    }
}

#[async_trait]
impl Renderer for ElevenLabs {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        self.http.check_speech(&request)?;
        let voice_id = Self::voice_id(&request);
        if voice_id.is_empty()
            || !voice_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(self.http.error(
                LlmErrorKind::BadRequest,
                format!("'{voice_id}' is not an ElevenLabs voice id (set the character's metadata.voice)"),
                0,
            ));
        }
        let url = self.http.url(&format!(
            "v1/text-to-speech/{voice_id}/with-timestamps?output_format=mp3_44100_128"
        ));
        let body = self.request_body(&request);
        let v = call(&self.http, true, |c| Ok(self.keyed(c.post(&url)).json(&body))).await?;
        let audio = v["audio_base64"].as_str().and_then(decode_base64).ok_or_else(|| {
            self.http
                .error(LlmErrorKind::Decode, "the answer has no audio_base64", 1)
        })?;
        let media_type = media_type_of(&self.http, &audio, Some("audio/mpeg"))?;
        let speech = alignment(&v["alignment"])
            .or_else(|| alignment(&v["normalized_alignment"]))
            .map(|(c, s, e)| SpeechTiming::from_characters(&c, &s, &e, None));
        let usage = MediaUsage {
            calls: 1,
            seconds: speech.as_ref().map_or(0.0, |s| s.duration),
            characters: request.prompt.chars().count() as u64,
            ..Default::default()
        };
        let mut made = self.http.made(audio.into(), media_type, usage);
        made.speech = speech;
        Ok(made)
    }

    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }

    fn cloner(&self) -> Option<&dyn VoiceCloner> {
        Some(self)
    }
}
