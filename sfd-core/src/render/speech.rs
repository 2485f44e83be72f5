//! [`OpenAiSpeech`]: speech through `POST /v1/audio/speech`, which
//! OpenAI-compatible TTS servers also speak.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::ProviderConfig;
use super::provider::{Http, media_type_of};
use super::{Media, MediaRequest, Renderer};
use crate::Result;
use crate::model::{MediaType, MediaUsage};

/// The model used when none is configured.
pub const DEFAULT_SPEECH_MODEL: &str = "gpt-4o-mini-tts";

/// The audio format asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpeechFormat {
    /// WAV (default: exact length, plays everywhere).
    #[default]
    Wav,
    /// MP3 (smaller).
    Mp3,
}

/// Speech in the voice the request names, with `instructions` built from
/// the character's `voice_description` (for models that take them).
#[derive(Debug, Clone)]
pub struct OpenAiSpeech {
    http: Http,
    format: SpeechFormat,
}

impl OpenAiSpeech {
    /// A client for `config` (model default [`DEFAULT_SPEECH_MODEL`]).
    pub fn new(config: ProviderConfig) -> Result<Self> {
        Ok(OpenAiSpeech {
            http: Http::new("speech", config)?,
            format: SpeechFormat::default(),
        })
    }

    /// The audio format.
    pub fn with_format(mut self, format: SpeechFormat) -> Self {
        self.format = format;
        self
    }

    /// The JSON body for `request`. `instructions` go only to models that
    /// take them (not `tts-1` / `tts-1-hd`).
    pub fn request_body(&self, request: &MediaRequest) -> Value {
        let voice = request.voice.clone().unwrap_or_else(super::voice::narrator);
        let model = self.http.config.model();
        let mut body = json!({
            "model": model,
            "input": request.prompt,
            "voice": voice.name,
            "response_format": match self.format { SpeechFormat::Wav => "wav", SpeechFormat::Mp3 => "mp3" },
        });
        if let Some(i) = voice.instructions.filter(|_| !model.starts_with("tts-1")) {
            body["instructions"] = json!(i);
        }
        body
    }
}

/// The length of a PCM WAV file, from its header.
pub(crate) fn wav_seconds(bytes: &[u8]) -> Option<f64> {
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    let byte_rate = u32_at(28)?;
    // Find the `data` chunk after the header.
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let size = u32_at(at + 4)?;
        if bytes.get(at..at + 4)? == b"data" {
            let size = if size == u32::MAX {
                (bytes.len() - at - 8) as u32
            } else {
                size
            };
            return (byte_rate > 0).then(|| f64::from(size) / f64::from(byte_rate));
        }
        at += 8 + size as usize;
    }
    None
}

#[async_trait]
impl Renderer for OpenAiSpeech {
    async fn render(&self, request: MediaRequest) -> Result<Media> {
        self.http.check_speech(&request)?;
        let url = self.http.url("audio/speech");
        let body = self.request_body(&request);
        let reply = self.http.send(|c| Ok(c.post(&url).json(&body))).await?;
        let media_type = media_type_of(&self.http, &reply.body, reply.content_type())?;
        let seconds = match media_type {
            MediaType::Wav => wav_seconds(&reply.body).unwrap_or(0.0),
            _ => 0.0,
        };
        let usage = MediaUsage {
            calls: 1,
            seconds,
            characters: request.prompt.chars().count() as u64,
            ..Default::default()
        };
        let mut made = self.http.made(reply.body, media_type, usage);
        // The API gives no timestamps: only the length, when the file tells it.
        made.speech = (seconds > 0.0).then(|| super::SpeechTiming {
            duration: seconds,
            words: Vec::new(),
        });
        Ok(made)
    }

    fn provider(&self) -> &str {
        self.http.name
    }

    fn model(&self) -> &str {
        self.http.config.model()
    }
}
